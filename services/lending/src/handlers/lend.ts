import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { LendingRequested } from '@tributary/contracts';
import { describeOutcome } from '../domain/outcome.ts';
import type { StepHook } from '../domain/steps.ts';
import { ShelvingUnavailableError, type ShelvingClient } from '../shelving-client.ts';
import type { LendDecision, LendingStore, RequestInHand } from '../store/lending.ts';

export interface LendDeps {
  store: LendingStore;
  shelving: ShelvingClient;
  logger: Logger;
  step: StepHook;
}

/**
 * LendingRequested (the book's process_lending_request). The request id is
 * the entry id. Every step before the deciding script is idempotent, so a
 * crash anywhere is repaired by handling the entry again (the kit redelivers
 * it to this instance after a restart, or another instance reclaims it):
 * reservations are recovered from the reserved set, SMOVE and SADD cannot
 * duplicate a book, and shelving answers yes again to the same request.
 */
export function lendHandler(deps: LendDeps): Handler<typeof LendingRequested> {
  const { store, shelving, logger, step } = deps;
  return async (event, context) => {
    const requestId = context.entryId;
    const request: RequestInHand = { requestId, userId: event.data.userId, bookIds: event.data.bookIds, cause: event };
    // Decided already (the entry came back from a dead-letter replay under the
    // same id, or the ack was lost): the kit's ack is all that is left to do.
    if (await store.decided(requestId)) return;

    const reserved = new Set(await store.reservedBooks(requestId));
    await step('reservations-recovered', requestId);

    const unavailable: string[] = [];
    let shelvingDown: ShelvingUnavailableError | null = null;
    for (const bookId of request.bookIds) {
      if (reserved.has(bookId)) continue;
      if (await store.isLent(bookId)) {
        unavailable.push(bookId);
        continue;
      }
      if (await store.takeFromStorage(requestId, bookId)) {
        reserved.add(bookId);
        await step('reserved-from-storage', requestId);
        continue;
      }
      let answer;
      try {
        answer = await shelving.checkout(bookId, requestId, context.signal);
      } catch (error) {
        if (!(error instanceof ShelvingUnavailableError)) throw error;
        shelvingDown = error;
        break;
      }
      if (answer === 'held') {
        unavailable.push(bookId);
        continue;
      }
      await step('fetched-from-shelving', requestId);
      await store.addReserved(requestId, bookId);
      reserved.add(bookId);
      await step('reserved-from-shelving', requestId);
    }

    let decision: LendDecision;
    if (shelvingDown) {
      logger.warn({ requestId, bookId: shelvingDown.bookId, err: shelvingDown }, 'shelving unavailable: refusing the request');
      decision = await store.reject(request, 'SHELVING_UNAVAILABLE', [shelvingDown.bookId]);
    } else if (reserved.size === 0) {
      decision = await store.reject(request, 'NONE_AVAILABLE', unavailable);
    } else {
      decision = await store.decide(request, () => Promise.resolve(step('limit-checked', requestId)));
    }
    if (decision.kind === 'already') return;
    await step(decision.kind === 'accepted' ? 'lending-committed' : 'lending-compensated', requestId);

    if (decision.kind === 'accepted') {
      logger.info(
        { requestId, userId: request.userId, bookIds: decision.bookIds, unavailableBookIds: decision.unavailableBookIds },
        describeOutcome({ requestId, kind: 'lend', status: 'ACCEPTED', userId: request.userId, bookIds: decision.bookIds, unavailableBookIds: decision.unavailableBookIds, processedAt: '' }),
      );
    } else {
      logger.info(
        { requestId, userId: request.userId, reason: decision.reason, storedBookIds: decision.storedBookIds, sentBookIds: decision.sentBookIds },
        describeOutcome({ requestId, kind: 'lend', status: 'REJECTED', userId: request.userId, reason: decision.reason, bookIds: request.bookIds, processedAt: '' }),
      );
    }
  };
}
