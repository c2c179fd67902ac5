import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { ReturnRequested } from '@tributary/contracts';
import { describeOutcome } from '../domain/outcome.ts';
import type { StepHook } from '../domain/steps.ts';
import type { LendingStore, RequestInHand } from '../store/lending.ts';

/**
 * ReturnRequested (the book's return transaction), in the steps of
 * store/lending.ts: the user gives back the books they hold (the others are
 * refused), the books leave the lent hash and refill storage (the rest go to
 * shelving), then the outcome is recorded with its events. Each step answers
 * what it did the first time, so a crash anywhere is repaired by handling
 * the entry again.
 */
export function returnHandler(deps: { store: LendingStore; logger: Logger; step: StepHook }): Handler<typeof ReturnRequested> {
  const { store, logger, step } = deps;
  return async (event, context) => {
    const requestId = context.entryId;
    await step('return-received', requestId);
    if (await store.decided(requestId)) return;
    const request: RequestInHand = { requestId, userId: event.data.userId, bookIds: event.data.bookIds, cause: event };
    const given = await store.giveBack(request);
    await step('books-given-back', requestId);
    const settled = await store.shelveReturned(request, given.returned);
    await step('return-shelved', requestId);
    if (!(await store.recordReturn(request, given, settled))) return;
    await step('return-applied', requestId);
    logger.info(
      { requestId, userId: request.userId, returnedBookIds: given.returned, refusedBookIds: given.refused, ...(settled.kind === 'returned' ? { storedBookIds: settled.stored, sentBookIds: settled.sent } : {}) },
      describeOutcome({ requestId, kind: 'return', status: 'PROCESSED', userId: request.userId, returnedBookIds: given.returned, refusedBookIds: given.refused, processedAt: '' }),
    );
  };
}
