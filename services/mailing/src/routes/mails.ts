import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import { SentMail, type MailLog } from '../store/mail-log.ts';
import type { RecipientStore } from '../store/recipient-store.ts';
import { mailingError } from '../errors.ts';

/**
 * GET /mails?userId=&orderId=&limit= : the mail log, newest first (internal
 * API, proxied by the gateway). A userId mailing has no recipient for is a
 * user accounts never registered (or one registered a moment ago whose event
 * has not arrived yet): 404, not an empty list that reads as "no mail yet".
 */
export function mailRoutes(deps: { mailLog: MailLog; recipientStore: RecipientStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/mails',
      {
        schema: {
          querystring: Type.Object(
            { userId: Type.Optional(Id), orderId: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(SentMail) }), 404: ErrorBody },
        },
      },
      async (request) => {
        const { userId, orderId, limit } = request.query;
        if (userId && !(await deps.recipientStore.get(userId))) throw mailingError('USER_NOT_FOUND', `no user ${userId}`);
        return { items: await deps.mailLog.list({ limit, ...(userId ? { userId } : {}), ...(orderId ? { orderId } : {}) }) };
      },
    );
  };
}
