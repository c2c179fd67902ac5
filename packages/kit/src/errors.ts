/**
 * The kit's coded errors, in one catalogue (after Fastify's `lib/errors.js`):
 * a code a program can match, a message a person can read.
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
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${errorCatalogue[code]}: ${detail}` : errorCatalogue[code]);
    this.name = 'TributaryError';
    this.code = code;
  }
}
