import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { limiterKey } from './keys.ts';
import { checkCost, decisionCounter, parseLimiterReply, type RateLimiter } from './limiter.ts';

const script = loadLuaScript(fileURLToPath(new URL('./lua/slidingWindow-1.lua', import.meta.url)));

export interface SlidingWindowOptions {
  redis: RedisClient;
  /** Namespace of this limiter's keys, e.g. `gateway:ratelimit:login`. */
  prefix: string;
  /** Requests admitted per window. */
  limit: number;
  windowMs: number;
  name?: string;
  registry?: Registry;
}

/**
 * Exact sliding window: a sorted set per client holds one member per admitted
 * unit, so memory grows with `limit`; use it for small limits that must be
 * exact (logins, password resets), and the token bucket for high-rate APIs.
 */
export function createSlidingWindowLimiter(options: SlidingWindowOptions): RateLimiter {
  const { redis, prefix, limit, windowMs } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`sliding window: limit must be an integer >= 1, got ${limit}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`sliding window: windowMs must be an integer >= 1, got ${windowMs}`);
  const name = options.name ?? prefix;
  const count = decisionCounter(options.registry);
  return {
    name,
    limit,
    windowSeconds: Math.ceil(windowMs / 1000),
    async take(key, cost = 1) {
      checkCost(cost, limit);
      const member = randomBytes(9).toString('base64url');
      const reply = await runLuaScript(redis, script, [limiterKey(prefix, key)], [limit, windowMs, cost, member]);
      const result = parseLimiterReply(reply, limit);
      count?.(name, result.allowed);
      return result;
    },
  };
}
