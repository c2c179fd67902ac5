/**
 * The kit's coded errors, in one catalogue (after Fastify's `lib/errors.js`):
 * a code a program can match, a message a person can read. Lua scripts return
 * the same codes (`redis.error_reply('TRIB_BAD_ARGUMENTS detail')`) and
 * `runLuaScript` turns them into TributaryErrors (redis/reply-errors.ts).
 * test/error-codes.test.ts fails on a code thrown and not declared here, and
 * on one declared and never thrown. Adding one: docs/architecture.md.
 */
export const errorCatalogue = {
  TRIB_INVALID_EVENT: 'event payload does not match its schema',
  TRIB_INVALID_PAYLOAD: 'queue payload does not match its schema',
  TRIB_FOREIGN_STREAM: 'a service may publish only to its own stream',
  TRIB_INVALID_CONFIG: 'invalid configuration',
  TRIB_INVALID_MESSAGE: 'pub/sub message does not match its channel schema',
  TRIB_CONSUMER_STATE: 'consumer is not in a state that allows this',
  TRIB_CLOSED: 'already closed',
  TRIB_NOT_REPLICATED: 'write not confirmed by enough replicas in time',
  TRIB_BAD_ARGUMENTS: 'a call or a script got arguments it cannot use (a bug in the caller); nothing was written',
  TRIB_CORRUPT_DATA: 'stored data is unreadable or breaks an invariant its owner keeps (a bug or a hand edit); nothing was written',
  TRIB_UNEXPECTED_REPLY: 'Redis or the database answered a reply of a shape the kit cannot read',
  TRIB_WRONG_TYPE: 'a key holds another kind of value than the operation needs',
  TRIB_NOT_CONNECTED: 'the Redis connection is down; nothing was sent, try again',
  TRIB_NO_PRIMARY: 'no Sentinel named the primary: none answered, or none knows the master name',
  TRIB_WORKER_ID_IN_USE: 'another live worker holds this worker id',
  TRIB_NO_HANDLER: 'no handler is registered for this event type and version',
  TRIB_UNKNOWN_STREAM: 'an outbox row names a stream this process has no publisher for (written by a newer version); it waits',
  TRIB_NOT_EMPTY: 'a dump is loaded only into an empty data directory',
  TRIB_NOT_ON_CLUSTER: 'this command answers for one node of a Redis Cluster (its keys, or its connection\'s writes), so the kit does not send it through a cluster client',
  TRIB_CROSSSLOT: 'a transaction on a Redis Cluster names keys of more than one hash slot; give them one hash tag, or make it separate steps',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  /** What this occurrence adds to the code's meaning (the message is `meaning: detail`). */
  readonly detail: string | undefined;
  /**
   * `options.message` replaces the message for an error that already has
   * one a person or a test reads, such as a script's reply
   * (`TRIB_WRONG_TYPE x holds a set, not a string`).
   */
  constructor(code: ErrorCode, detail?: string, options: { cause?: unknown; message?: string } = {}) {
    super(options.message ?? (detail ? `${errorCatalogue[code]}: ${detail}` : errorCatalogue[code]), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.detail = detail;
  }
}

/** What a service's HTTP error code answers: its status, and what it means (listed in docs/openapi.json). */
export interface HttpErrorDeclaration {
  readonly status: number;
  readonly meaning: string;
}

export type HttpErrorCatalogue = Readonly<Record<string, HttpErrorDeclaration>>;

/**
 * The codes the kit's HTTP app and plugins answer with, in every service that
 * runs them (`{ error: code, message }`). A service declares its own in
 * services/<name>/src/errors.ts with `defineHttpErrors` and may throw these
 * too. The codes are the API's, not TRIB_ ones: clients match them.
 */
export const kitHttpErrors = {
  VALIDATION_FAILED: { status: 400, meaning: 'the request does not match the route schema (body, query, path or headers)' },
  INVALID_JSON: { status: 400, meaning: 'the body is not JSON, or is empty where JSON was announced' },
  INVALID_CONTENT_LENGTH: { status: 400, meaning: 'Content-Length does not match the body' },
  BODY_TOO_LARGE: { status: 413, meaning: 'the body is larger than the service accepts' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'the body is not application/json' },
  BAD_REQUEST: { status: 400, meaning: 'another request error Fastify found (its own 4xx status is kept)' },
  INVALID_CHARACTER: { status: 400, meaning: 'a text field holds a control character' },
  NOT_FOUND: { status: 404, meaning: 'no route for this method and path' },
  INTERNAL: { status: 500, meaning: 'a bug: the service logged it; no details are sent' },
  INTERNAL_KEY_REQUIRED: { status: 401, meaning: "a service's internal port was called without x-internal-key" },
  INTERNAL_KEY_INVALID: { status: 403, meaning: 'the x-internal-key sent is not the one the launcher gave' },
  RATE_LIMITED: { status: 429, meaning: 'too many requests from this client: wait as Retry-After says' },
  RATE_LIMITER_UNAVAILABLE: { status: 503, meaning: 'the rate limiter cannot be reached, try again' },
  SESSION_STORE_UNAVAILABLE: { status: 503, meaning: 'sessions cannot be read now, try again' },
  NOT_REPLICATED: { status: 503, meaning: 'written, but not yet held by the replicas BUS_REDIS_WAIT_REPLICAS asks for: try again with the same Idempotency-Key' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, meaning: 'this route needs an Idempotency-Key header' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, meaning: 'Idempotency-Key must be 1-255 printable ASCII characters without spaces' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, meaning: 'this Idempotency-Key was used for a different request' },
  IDEMPOTENCY_KEY_IN_PROGRESS: { status: 409, meaning: 'a request with this Idempotency-Key is still running: retry later' },
  IDEMPOTENCY_STORE_UNAVAILABLE: { status: 503, meaning: 'idempotency keys cannot be checked now, try again' },
} as const satisfies HttpErrorCatalogue;

export type KitHttpErrorCode = keyof typeof kitHttpErrors;
