import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { ReturnRequested } from '@tributary/contracts';
import { describeOutcome } from '../domain/outcome.ts';
import type { StepHook } from '../domain/steps.ts';
import type { LendingStore } from '../store/lending.ts';

/**
 * ReturnRequested (the book's return transaction): one script takes back the
 * books lent to this user, refuses the others, refills storage, publishes
 * and acks. Nothing happens outside it, so a crash before it changes nothing
 * and a crash after it leaves a decided request that is only acked again.
 */
export function returnHandler(deps: { store: LendingStore; logger: Logger; step: StepHook }): Handler<typeof ReturnRequested> {
  const { store, logger, step } = deps;
  return async (event, context) => {
    const requestId = context.entryId;
    await step('return-received', requestId);
    const result = await store.applyReturn({ requestId, userId: event.data.userId, bookIds: event.data.bookIds, cause: event });
    if (result.kind === 'already') return;
    await step('return-applied', requestId);
    logger.info(
      { requestId, userId: event.data.userId, ...result },
      describeOutcome({
        requestId, kind: 'return', status: 'PROCESSED', userId: event.data.userId,
        returnedBookIds: result.returnedBookIds, refusedBookIds: result.refusedBookIds, processedAt: '',
      }),
    );
  };
}
