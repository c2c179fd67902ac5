import type { LENDING_REJECTIONS } from '@tributary/contracts';

export type Rejection = (typeof LENDING_REJECTIONS)[number];
export type RequestKind = 'lend' | 'return';
export type OutcomeStatus = 'ACCEPTED' | 'REJECTED' | 'PROCESSED';

/** A decided request, as its outcome hash holds it. */
export interface Outcome {
  requestId: string;
  kind: RequestKind;
  status: OutcomeStatus;
  userId: string;
  reason?: Rejection;
  bookIds?: string[];
  unavailableBookIds?: string[];
  bookIdsAtFault?: string[];
  returnedBookIds?: string[];
  refusedBookIds?: string[];
  processedAt: string;
}

/** The book's rule: a request is refused whole when it would take the user over the limit. */
export function exceedsLimit(held: number, reserving: number, maxBooks: number): boolean {
  return held + reserving > maxBooks;
}

const numbered = (bookIds: readonly string[]): string =>
  bookIds.length === 0 ? 'none' : bookIds.map((bookId, i) => `${i + 1}) ${bookId}`).join(' ');

/** The book's log lines, e.g. `Request: [1566505618781-0] by Salvatore ACCEPTED. Books: 1) ofmiceandmen`. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'return') {
    return `Book Return [${outcome.requestId}] by ${outcome.userId} PROCESSED. Returned: ${numbered(outcome.returnedBookIds ?? [])}. Refused: ${numbered(outcome.refusedBookIds ?? [])}`;
  }
  if (outcome.status === 'ACCEPTED') {
    const missing = outcome.unavailableBookIds?.length ? `. Unavailable: ${numbered(outcome.unavailableBookIds)}` : '';
    return `Request: [${outcome.requestId}] by ${outcome.userId} ACCEPTED. Books: ${numbered(outcome.bookIds ?? [])}${missing}`;
  }
  return `Request: [${outcome.requestId}] by ${outcome.userId} REJECTED (${outcome.reason}). Books: ${numbered(outcome.bookIds ?? [])}`;
}
