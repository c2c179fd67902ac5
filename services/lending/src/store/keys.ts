import { LENDING_REQUESTS_STREAM } from '@tributary/contracts';

/**
 * Every Redis key of the lending service is built here and nowhere else. All
 * live in ONE Redis, the bus, with the request stream and `lending:events`.
 *
 * Redis Cluster: a script touches the keys of one slot, so lending's state
 * is in four kinds of slot, each named by its hash tag:
 *
 * - the inventory, `lending:{lending:storage}:…`, in the slot of the
 *   automated storage set (which kept its name `lending:storage`: a key
 *   without braces hashes whole, so the tag equal to it lands with it): the
 *   storage, the lent hash and each request's reserved set. A book moves
 *   between them (SMOVE from storage, lent from a reservation), and the
 *   storage's capacity is one limit over all its books;
 * - each user, `lending:{user:<id>}:…`: the count the limit is checked
 *   against (under WATCH, the book's optimistic lock) and the books held;
 * - the decisions, `lending:{lending:events}:request:<id>`, in the slot of
 *   `lending:events`: a request's outcome is recorded and its events are
 *   published in one script, so neither happens without the other;
 * - the submissions, `lending:{lending:requests}:idempotency:…`, in the slot
 *   of `lending:requests`: a POST appends its entry and keeps its key at once.
 *
 * A request is decided in steps over these slots (store/lending.ts), each
 * idempotent per request id, so a redelivery after a crash repeats nothing.
 */
export const SERVICE = 'lending';
export const GROUP = 'lending';
const PREFIX = `${SERVICE}:`;
const EVENTS = `${PREFIX}events`;
const STORAGE = `${PREFIX}storage`;
const INVENTORY = `${PREFIX}{${STORAGE}}`;
const DECISIONS = `${PREFIX}{${EVENTS}}`;
const SUBMISSIONS = `${PREFIX}{${LENDING_REQUESTS_STREAM}}`;
const user = (userId: string): string => `${PREFIX}{user:${userId}}`;

export const lendingKeys = {
  /** Stream: LendingRequested / ReturnRequested; the entry id is the request id. */
  requests: (): string => LENDING_REQUESTS_STREAM,
  /** Stream: RequestAccepted, RequestRejected, ReturnProcessed, BooksSentToShelving. */
  events: (): string => EVENTS,
  /** Set: books in the automated short-term storage (at most the capacity). */
  storage: (): string => STORAGE,
  /** Hash: bookId -> userId, every book lent out. */
  lent: (): string => `${INVENTORY}:lent`,
  /** Set: books pre-reserved for one lending request (the book's `request:{id}:temp`); gone once it is decided. */
  reserved: (requestId: string): string => `${INVENTORY}:reserved:${requestId}`,
  /**
   * String with a TTL: what the inventory step of a request did, as JSON
   * (books lent; or reservations undone, with the reason, the books stored
   * and sent back; or books of a return stored and sent back). Its presence
   * means the step was done: a repeat answers it and changes nothing.
   */
  settled: (requestId: string): string => `${INVENTORY}:settled:${requestId}`,
  /** String counter: books the user holds (the book's limit check reads it under WATCH). */
  userCount: (userId: string): string => `${user(userId)}:count`,
  /** Set: the books the user holds, for the read API and returns; changed by the same scripts as the counter. */
  userBooks: (userId: string): string => `${user(userId)}:books`,
  /**
   * Set: the user's books whose lending request has done the user's step
   * but not yet the inventory's (takeLoan adds them, loanLent removes them);
   * a return refuses them meanwhile. Empty (gone) at rest.
   */
  userPending: (userId: string): string => `${user(userId)}:pending`,
  /** String with a TTL: what a request did to the user (books taken, or returned and refused), as JSON. */
  userStep: (userId: string, requestId: string): string => `${user(userId)}:step:${requestId}`,
  /**
   * Hash with a TTL: a request's outcome (kind, status, reason, book lists as
   * JSON, processedAt). Written with the request's events by one script, so
   * its presence means "decided and published".
   */
  outcome: (requestId: string): string => `${DECISIONS}:request:${requestId}`,
  /**
   * Hash with a TTL: the request an Idempotency-Key appended (requestId,
   * fingerprint), so a retried POST appends nothing. Per event type: a key
   * of a request and the same key of a return are two actions, as at the gateway.
   */
  idempotency: (type: string, key: string): string => `${SUBMISSIONS}:idempotency:${type}:${key}`,
  /** String: the id of the last dead letter of `lending:requests` the releaser is done with (release.ts). */
  releaseCursor: (): string => `${PREFIX}release:cursor`,
} as const;

/** Patterns for a SCAN of each kind of user key (the harness, the adoption of the old layout). */
export const lendingPatterns = {
  userCounts: (): string => `${PREFIX}{user:*}:count`,
  userBooks: (): string => `${PREFIX}{user:*}:books`,
  userPending: (): string => `${PREFIX}{user:*}:pending`,
  reserved: (): string => `${INVENTORY}:reserved:*`,
  /** The user id in a user key. */
  userOf: (key: string): string => key.slice(`${PREFIX}{user:`.length, key.indexOf('}:')),
} as const;

/**
 * The layout before Cluster support: every key plain, `lending:lent`,
 * `lending:user:<id>:count|books`, `lending:request:<id>[:reserved]`, `lending:return:<id>:temp`,
 * `lending:idempotency:<type>:<key>`. Adopted once at start (legacy.ts).
 */
export const legacyLendingKeys = {
  lent: (): string => `${PREFIX}lent`,
  patterns: [`${PREFIX}user:*`, `${PREFIX}request:*`, `${PREFIX}return:*`, `${PREFIX}idempotency:*`],
} as const;
