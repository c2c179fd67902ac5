import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { limiterKey } from './keys.ts';
import { checkCost, decisionCounter, parseLimiterReply, type RateLimiter } from './limiter.ts';

const script = loadLuaScript(fileURLToPath(new URL('./lua/tokenBucket-1.lua', import.meta.url)));

export interface TokenBucketOptions {
  redis: RedisClient;
  /** Namespace of this limiter's keys, e.g. `gateway:ratelimit:api`. */
  prefix: string;
  /** Most tokens the bucket holds: the largest burst that passes at once. */
  capacity: number;
  /** Tokens added per second: the sustained rate. May be fractional (0.5 = one every 2 s). */
  refillPerSecond: number;
  name?: string;
  registry?: Registry;
}

/**
 * Token bucket: two numbers per client (a hash), whatever the rate, so it
 * suits high limits; a burst of `capacity` passes, then `refillPerSecond`.
 */
export function createTokenBucketLimiter(options: TokenBucketOptions): RateLimiter {
  const { redis, prefix, capacity, refillPerSecond } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`token bucket: capacity must be an integer >= 1, got ${capacity}`);
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
    throw new RangeError(`token bucket: refillPerSecond must be a number > 0, got ${refillPerSecond}`);
  }
  const name = options.name ?? prefix;
  const count = decisionCounter(options.registry);
  return {
    name,
    limit: capacity,
    windowSeconds: Math.max(1, Math.ceil(capacity / refillPerSecond)),
    async take(key, cost = 1) {
      checkCost(cost, capacity);
      const reply = await runLuaScript(redis, script, [limiterKey(prefix, key)], [capacity, refillPerSecond, cost]);
      const result = parseLimiterReply(reply, capacity);
      count?.(name, result.allowed);
      return result;
    },
  };
}
