import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';

/** The lending service's request stream (the book's chapter 5): its HTTP API and the CLI append, its group processes. */
export const LENDING_REQUESTS_STREAM = 'lending:requests';

const BookIds = Type.Array(Id, { minItems: 1, maxItems: 20, uniqueItems: true });

/** A user asks for books. The request id is the entry id on `lending:requests`. */
export const LendingRequested = defineEvent({
  source: 'lending',
  type: 'LendingRequested',
  version: 1,
  stream: LENDING_REQUESTS_STREAM,
  schema: Type.Object({ userId: Id, bookIds: BookIds }),
});

/** A user brings books back. */
export const ReturnRequested = defineEvent({
  source: 'lending',
  type: 'ReturnRequested',
  version: 1,
  stream: LENDING_REQUESTS_STREAM,
  schema: Type.Object({ userId: Id, bookIds: BookIds }),
});

/**
 * Why a request was refused. As in the book, a request is accepted with the
 * books that could be found; NONE_AVAILABLE when not one could (all lent or
 * handed out elsewhere). HANDLING_FAILED: the request was dead-lettered
 * after its retries and nobody replayed it within LENDING_RELEASE_AFTER_MS,
 * so the books it had reserved were given back.
 */
export const LENDING_REJECTIONS = ['LIMIT_EXCEEDED', 'NONE_AVAILABLE', 'SHELVING_UNAVAILABLE', 'HANDLING_FAILED'] as const;

const RequestId = Type.String({ minLength: 1, maxLength: 64 });

/** The user now holds `bookIds`; requested books that were lent or not on a shelf are in `unavailableBookIds`. */
export const RequestAccepted = defineEvent({
  source: 'lending',
  type: 'RequestAccepted',
  version: 1,
  schema: Type.Object({
    requestId: RequestId,
    userId: Id,
    bookIds: BookIds,
    unavailableBookIds: Type.Array(Id, { maxItems: 20 }),
  }),
});

export const RequestRejected = defineEvent({
  source: 'lending',
  type: 'RequestRejected',
  version: 1,
  schema: Type.Object({
    requestId: RequestId,
    userId: Id,
    bookIds: BookIds,
    reason: Type.Union(LENDING_REJECTIONS.map((reason) => Type.Literal(reason))),
    /** The books that caused it (already lent ones, say). */
    bookIdsAtFault: Type.Optional(Type.Array(Id, { maxItems: 20 })),
  }),
});

/** Books lent to this user were returned; the others (not lent to them) were refused and are reported. */
export const ReturnProcessed = defineEvent({
  source: 'lending',
  type: 'ReturnProcessed',
  version: 1,
  schema: Type.Object({
    requestId: RequestId,
    userId: Id,
    returnedBookIds: Type.Array(Id, { maxItems: 20 }),
    refusedBookIds: Type.Array(Id, { maxItems: 20 }),
  }),
});

/**
 * Books that automated storage had no room for go back to the shelving
 * service (the book's `books_for_shelving` stream); shelving consumes this.
 */
export const BooksSentToShelving = defineEvent({
  source: 'lending',
  type: 'BooksSentToShelving',
  version: 1,
  schema: Type.Object({ requestId: RequestId, bookIds: Type.Array(Id, { minItems: 1, maxItems: 20 }) }),
});

export const lendingRequests = [LendingRequested, ReturnRequested] as const;
export const lendingEvents = [RequestAccepted, RequestRejected, ReturnProcessed, BooksSentToShelving] as const;
