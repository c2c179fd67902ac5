import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { LendingRequested } from '@tributary/contracts';
import { describeOutcome, type Rejection } from '../domain/outcome.ts';
import type { StepHook } from '../domain/steps.ts';
import { ShelvingUnavailableError, type ShelvingClient } from '../shelving-client.ts';
import type { LendingStore, RequestInHand, Settled } from '../store/lending.ts';

export interface LendDeps {
  store: LendingStore;
  shelving: ShelvingClient;
  logger: Logger;
  step: StepHook;
}

/**
 * LendingRequested (the book's process_lending_request). The request id is
 * the entry id. The request is decided in the steps of store/lending.ts, each
 * idempotent, so a crash anywhere is repaired by handling the entry again
 * (the kit redelivers it to this instance after a restart, or another
 * instance reclaims it): reservations are recovered from the reserved set,
 * SMOVE and SADD cannot duplicate a book, shelving answers yes again to the
 * same request, and once the user's step or the inventory's has run, the
 * decision it made is finished rather than taken again.
 */
export function lendHandler(deps: LendDeps): Handler<typeof LendingRequested> {
  const { store, shelving, logger, step } = deps;

  async function accept(request: RequestInHand, bookIds: string[]): Promise<void> {
    const settled = await store.lendReserved(request, bookIds);
    await step('books-lent', request.requestId);
    if (settled.kind !== 'lent') throw new Error(`request ${request.requestId}: lent after it was settled as ${settled.kind}`);
    // Before the outcome: once it is recorded a redelivery only acks, and the books would stay unreturnable.
    await store.loanLent(request, settled.lent);
    if (!(await store.recordAccepted(request, settled.lent))) return;
    await step('lending-committed', request.requestId);
    const unavailable = request.bookIds.filter((bookId) => !settled.lent.includes(bookId));
    logger.info(
      { requestId: request.requestId, userId: request.userId, bookIds: settled.lent, unavailableBookIds: unavailable },
      describeOutcome({ requestId: request.requestId, kind: 'lend', status: 'ACCEPTED', userId: request.userId, bookIds: settled.lent, unavailableBookIds: unavailable, processedAt: '' }),
    );
  }

  async function reject(request: RequestInHand, settled: Extract<Settled, { kind: 'undone' }>): Promise<void> {
    if (!(await store.recordRejected(request, settled))) return;
    await step('lending-compensated', request.requestId);
    logger.info(
      { requestId: request.requestId, userId: request.userId, reason: settled.reason, storedBookIds: settled.stored, sentBookIds: settled.sent },
      describeOutcome({ requestId: request.requestId, kind: 'lend', status: 'REJECTED', userId: request.userId, reason: settled.reason, bookIds: request.bookIds, processedAt: '' }),
    );
  }

  async function undo(request: RequestInHand, reason: Rejection, bookIdsAtFault: string[]): Promise<void> {
    const settled = await store.undoReservations(request, reason, bookIdsAtFault);
    await step('reservations-undone', request.requestId);
    if (settled.kind !== 'undone') throw new Error(`request ${request.requestId}: undone after it was settled as ${settled.kind}`);
    await reject(request, settled);
  }

  return async (event, context) => {
    const requestId = context.entryId;
    const request: RequestInHand = { requestId, userId: event.data.userId, bookIds: event.data.bookIds, cause: event };
    // Decided already (the entry came back from a dead-letter replay under the
    // same id, or the ack was lost): the kit's ack is all that is left to do.
    if (await store.decided(requestId)) return;
    // A step that ran before a crash fixed the decision: finish it.
    const settled = await store.settled(requestId);
    if (settled?.kind === 'undone') return reject(request, settled);
    if (settled?.kind === 'lent') return accept(request, settled.lent);
    const loan = await store.loan(request.userId, requestId);
    if (loan) return accept(request, loan);

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

    if (shelvingDown) {
      logger.warn({ requestId, bookId: shelvingDown.bookId, err: shelvingDown }, 'shelving unavailable: refusing the request');
      return undo(request, 'SHELVING_UNAVAILABLE', [shelvingDown.bookId]);
    }
    if (reserved.size === 0) return undo(request, 'NONE_AVAILABLE', unavailable);
    // The request's order, then (never expected) reserved books it did not name, sorted.
    const named = request.bookIds.filter((bookId) => reserved.has(bookId));
    const extra = [...reserved].filter((bookId) => !request.bookIds.includes(bookId)).sort();
    const taken = await store.takeLoan(request, [...named, ...extra], () => Promise.resolve(step('limit-checked', requestId)));
    if (taken.kind === 'limit') return undo(request, 'LIMIT_EXCEEDED', []);
    await step('loan-taken', requestId);
    return accept(request, taken.bookIds);
  };
}
