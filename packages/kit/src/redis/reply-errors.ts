import { errorCatalogue, TributaryError, type ErrorCode } from '../errors.ts';

/**
 * The one place that reads the text of a Redis error reply. A reply error is
 * `CODE detail` (https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors):
 * Redis's own codes below, or a kit code a Lua script returns with
 * `redis.error_reply('TRIB_… detail')`.
 */
const REDIS_CODES = {
  NOSCRIPT: 'the script is not in the server cache (a restart or SCRIPT FLUSH): send its text with EVAL',
  BUSYGROUP: 'the consumer group exists already',
  NOGROUP: 'the stream or the consumer group does not exist (e.g. a Redis without persistence restarted)',
  READONLY: 'a replica (a demoted primary) refused a write',
  ERR: 'a generic error; the detail says which',
} as const;

export type RedisErrorCode = keyof typeof REDIS_CODES;

function parts(error: unknown): { text: string; code: string; detail: string } {
  const text = String((error as Error | undefined)?.message ?? error);
  const space = text.indexOf(' ');
  return space < 0 ? { text, code: text, detail: '' } : { text, code: text.slice(0, space), detail: text.slice(space + 1) };
}

/** Whether `error` is Redis's error reply `code` (optionally with a detail starting so, case-insensitively). */
export function isRedisError(error: unknown, code: RedisErrorCode, detailPrefix?: string): boolean {
  const reply = parts(error);
  return reply.code === code && (detailPrefix === undefined || reply.detail.toLowerCase().startsWith(detailPrefix.toLowerCase()));
}

/** `ERR no such key`: XINFO and the like on a key that does not exist. */
export const isNoSuchKey = (error: unknown): boolean => isRedisError(error, 'ERR', 'no such key');

const isKitCode = (code: string): code is ErrorCode => Object.hasOwn(errorCatalogue, code);

/**
 * A script's coded error reply as a TributaryError (its message the reply's
 * text, its cause the reply); any other error as it came.
 */
export function fromScriptError(error: unknown): unknown {
  const { text, code, detail } = parts(error);
  if (!isKitCode(code)) return error;
  return new TributaryError(code, detail, { cause: error, message: text });
}
