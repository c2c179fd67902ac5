import { Counter, type Registry } from 'prom-client';
import { TributaryError } from '../errors.ts';

/** What a limiter decided for one request. */
export interface RateLimitResult {
  allowed: boolean;
  /** Units still available after this request. */
  remaining: number;
  /** 0 when allowed; otherwise how long until the same request would pass. */
  retryAfterMs: number;
  /** How long until the limit is fully available again. */
  resetMs: number;
  /** The most a client can take at once (the window's limit, the bucket's capacity). */
  limit: number;
}

export interface RateLimiter {
  /** Short name for metrics and the RateLimit-Policy header. */
  readonly name: string;
  readonly limit: number;
  /** The policy window in seconds, as the RateLimit-Policy header states it. */
  readonly windowSeconds: number;
  /** Takes `cost` units (default 1) for `key`, atomically, on the Redis clock. */
  take(key: string, cost?: number): Promise<RateLimitResult>;
}

/** Raw script reply: {allowed, remaining, retryAfterMs, resetMs}. */
export function parseLimiterReply(reply: unknown, limit: number): RateLimitResult {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((value) => typeof value === 'number')) {
    throw new TributaryError('TRIB_UNEXPECTED_REPLY', `rate limiter script answered an unexpected reply: ${JSON.stringify(reply)}`);
  }
  const [allowed, remaining, retryAfterMs, resetMs] = reply as [number, number, number, number];
  return { allowed: allowed === 1, remaining, retryAfterMs, resetMs, limit };
}

/**
 * One counter per registry, shared by every limiter registered on it, so two
 * limiters with the same registry do not collide on the metric name.
 */
export function decisionCounter(registry: Registry | undefined): ((limiter: string, allowed: boolean) => void) | undefined {
  if (!registry) return undefined;
  const name = 'tributary_ratelimit_decisions_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help: 'Rate limiter decisions by limiter and outcome', labelNames: ['limiter', 'outcome'], registers: [registry] });
  return (limiter, allowed) => counter.inc({ limiter, outcome: allowed ? 'allowed' : 'limited' });
}

export function checkCost(cost: number, limit: number): void {
  if (!Number.isInteger(cost) || cost < 1 || cost > limit) {
    throw new RangeError(`rate limit cost must be an integer from 1 to ${limit}, got ${cost}`);
  }
}
