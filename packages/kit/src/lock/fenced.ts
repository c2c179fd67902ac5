import { fileURLToPath } from 'node:url';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { fencedResourceKey } from './keys.ts';
import { TributaryError } from '../errors.ts';

const fencedWriteScript = loadLuaScript(fileURLToPath(new URL('./lua/fencedWrite-1.lua', import.meta.url)));

export type FencedWriteResult = { applied: true; token: number } | { applied: false; highestToken: number };

export interface FencedStore {
  /** Writes `value` unless a higher fencing token already wrote this resource. */
  write(resource: string, token: number, value: string): Promise<FencedWriteResult>;
  /** The current value and the token that wrote it, or null when never written. */
  read(resource: string): Promise<{ value: string; token: number } | null>;
}

/**
 * The storage side of fencing: a resource that remembers the highest token
 * it has seen and refuses older ones, in one script. A lock alone cannot stop
 * a paused holder's late write; the resource has to.
 */
export function createFencedStore(options: { redis: RedisClient; prefix: string }): FencedStore {
  const { redis, prefix } = options;
  if (!prefix) throw new TypeError('fenced store: a prefix is required');
  return {
    async write(resource, token, value) {
      if (!Number.isSafeInteger(token) || token < 1) throw new RangeError(`fenced store: token must be an integer >= 1, got ${String(token)}`);
      const [applied, seen] = await runLuaScript<[number, number]>(redis, fencedWriteScript, [fencedResourceKey(prefix, resource)], [token, value]);
      return Number(applied) === 1 ? { applied: true, token: Number(seen) } : { applied: false, highestToken: Number(seen) };
    },
    async read(resource) {
      const [token, value] = await redis.sendCommand<Array<string | null>>(['HMGET', fencedResourceKey(prefix, resource), 'token', 'value']);
      if (token === null || token === undefined || value === null || value === undefined) return null;
      const parsed = Number(token);
      if (!Number.isSafeInteger(parsed)) throw new TributaryError('TRIB_CORRUPT_DATA', `fenced store: unreadable token for ${resource}`);
      return { value, token: parsed };
    },
  };
}
