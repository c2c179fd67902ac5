import { describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { fromScriptError, isNoSuchKey, isRedisError } from './reply-errors.ts';

describe('reading a Redis error reply (no server: the replies as node-redis raises them)', () => {
  it("tells Redis's own codes by the reply's first word", () => {
    expect(isRedisError(new Error('NOSCRIPT No matching script. Please use EVAL.'), 'NOSCRIPT')).toBe(true);
    expect(isRedisError(new Error('BUSYGROUP Consumer Group name already exists'), 'BUSYGROUP')).toBe(true);
    expect(isRedisError(new Error("NOGROUP No such key 's' or consumer group 'g'"), 'NOGROUP')).toBe(true);
    expect(isRedisError(new Error('ERR unknown command NOSCRIPT'), 'NOSCRIPT')).toBe(false);
    expect(isRedisError(undefined, 'READONLY')).toBe(false);
    expect(isNoSuchKey(new Error('ERR no such key'))).toBe(true);
    expect(isNoSuchKey(new Error('ERR syntax error'))).toBe(false);
  });

  it("makes a script's coded reply a TributaryError with the reply's text, and returns anything else as it came", () => {
    const reply = new Error('TRIB_WRONG_TYPE x holds a set, not a string');
    const mapped = fromScriptError(reply);
    expect(mapped).toBeInstanceOf(TributaryError);
    expect(mapped).toMatchObject({ code: 'TRIB_WRONG_TYPE', detail: 'x holds a set, not a string', message: reply.message, cause: reply });
    const other = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(fromScriptError(other)).toBe(other);
    const unknownCode = new Error('TRIB_NOT_A_CODE detail');
    expect(fromScriptError(unknownCode)).toBe(unknownCode);
  });
});
