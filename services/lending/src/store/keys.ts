import { LENDING_REQUESTS_STREAM } from '@tributary/contracts';

/**
 * Every Redis key of the lending service is built here and nowhere else.
 *
 * All of them live in ONE Redis, the bus, together with the request stream
 * and `lending:events`: the book's design acks the request, changes the state
 * and publishes the outcome in one script, and a script only reaches keys of
 * the server it runs on. Each script names all its keys in KEYS, but they do
 * not share a hash tag (the global `lending:lent` and `lending:storage` are
 * used with per-user and per-request keys), so on a Redis Cluster these
 * scripts would fail with CROSSSLOT: lending needs a single-shard Redis.
 */
export const SERVICE = 'lending';
export const GROUP = 'lending';
const PREFIX = `${SERVICE}:`;

export const lendingKeys = {
  /** Stream: LendingRequested / ReturnRequested; the entry id is the request id. */
  requests: (): string => LENDING_REQUESTS_STREAM,
  /** Stream: RequestAccepted, RequestRejected, ReturnProcessed, BooksSentToShelving. */
  events: (): string => `${PREFIX}events`,
  /** Set: books in the automated short-term storage (at most the capacity). */
  storage: (): string => `${PREFIX}storage`,
  /** Hash: bookId -> userId, every book lent out. */
  lent: (): string => `${PREFIX}lent`,
  /** String counter: books the user holds (the book's limit check reads it under WATCH). */
  userCount: (userId: string): string => `${PREFIX}user:${userId}:count`,
  /** Set: the books the user holds, for the read API; changed by the same scripts as the counter. */
  userBooks: (userId: string): string => `${PREFIX}user:${userId}:books`,
  /** Set: books pre-reserved for one lending request (the book's `request:{id}:temp`); gone once it is decided. */
  reserved: (requestId: string): string => `${PREFIX}request:${requestId}:reserved`,
  /** Set: a return's book ids while its script runs (the book's temporary set); never outlives the script. */
  returnTemp: (requestId: string): string => `${PREFIX}return:${requestId}:temp`,
  /**
   * Hash with a TTL: a request's outcome (kind, status, reason, book lists as
   * JSON, processedAt). Written only by the deciding scripts, so its presence
   * means "decided": every script checks it first and then only acks.
   */
  outcome: (requestId: string): string => `${PREFIX}request:${requestId}`,
  /**
   * Hash with a TTL: the request an Idempotency-Key appended (requestId,
   * fingerprint), so a retried POST appends nothing. Per event type: a key
   * of a request and the same key of a return are two actions, as at the gateway.
   */
  idempotency: (type: string, key: string): string => `${PREFIX}idempotency:${type}:${key}`,
  /** String: the id of the last dead letter of `lending:requests` the releaser is done with (release.ts). */
  releaseCursor: (): string => `${PREFIX}release:cursor`,
} as const;
