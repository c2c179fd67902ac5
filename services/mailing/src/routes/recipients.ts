import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id, UserRegistered } from '@tributary/contracts';
import { Recipient } from '../domain/recipient.ts';
import type { RecipientStore } from '../store/recipient-store.ts';
import type { RecipientsProjection } from '../handlers/recipients-projection.ts';
import { mailingError } from '../errors.ts';

/**
 * GET /recipients/:userId (mailing's copy of a user) and
 * POST /projections/recipients/rebuild (admin: the gateway guards it). The
 * rebuild clears the copy, replays `accounts:events` from the start and
 * answers once the replay reached the stream's tip at the time of the call
 * (or `rebuildWaitMs` passed; `position` then says how far it got).
 */
export function recipientRoutes(deps: { recipientStore: RecipientStore; recipients: RecipientsProjection; rebuildWaitMs: number }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/recipients/:userId',
      { schema: { params: Type.Object({ userId: Id }), response: { 200: Recipient, 404: ErrorBody } } },
      async (request) => {
        const recipient = await deps.recipientStore.get(request.params.userId);
        if (!recipient) throw mailingError('RECIPIENT_NOT_FOUND', `mailing has no recipient ${request.params.userId}`);
        return recipient;
      },
    );

    app.post(
      '/projections/recipients/rebuild',
      { schema: { response: { 200: Type.Object({ rebuilt: Type.Literal(true), position: Type.String() }) } } },
      async () => {
        const targets = await deps.recipients.rebuild();
        await deps.recipients.waitFor(targets, { timeoutMs: deps.rebuildWaitMs });
        const position = (await deps.recipients.checkpoints())[UserRegistered.stream] ?? '0';
        return { rebuilt: true as const, position };
      },
    );
  };
}
