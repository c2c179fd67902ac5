import type { Static, TSchema } from '@sinclair/typebox';
import type { Registry } from 'prom-client';
import { TributaryError } from '../errors.ts';
import type { PubSubPublisher } from '../pubsub/publisher.ts';
import type { PubSubSubscriber } from '../pubsub/subscriber.ts';
import type { RedisClient } from '../redis/client.ts';

/** Returns the value for `key`, or null for "there is none" (cached for negativeTtlMs). */
export type Loader<T> = (key: string, signal: AbortSignal) => Promise<T | null>;

export type CacheReport =
  | { kind: 'corrupt'; key: string; reason: string }
  /** Another instance holds the key's lock; this request waits for its result. */
  | { kind: 'waiting'; key: string }
  | { kind: 'wait-timeout'; key: string }
  /** A load finished after its key was invalidated (or its lock expired): the value was returned, not stored. */
  | { kind: 'lock-lost'; key: string }
  | { kind: 'invalid-value'; key: string; problem: string }
  | { kind: 'load-error'; key: string; error: Error }
  | { kind: 'redis-error'; error: Error };

export interface CacheOptions<S extends TSchema> {
  /** The cache's Redis (a service's store Redis, not the bus). */
  redis: RedisClient;
  /** Key namespace, e.g. `catalog:cache`; entries are `<prefix>:{<key>}`. */
  prefix: string;
  /** Every value is validated against it when stored and when read back. */
  schema: S;
  load: Loader<Static<S>>;
  /** How long an entry is fresh. */
  ttlMs?: number;
  /** How long a "not found" is fresh; keep it short, the thing may be created any moment. */
  negativeTtlMs?: number;
  /** Fraction by which each TTL is randomly varied (0.1 = ±10 %), so entries written together do not expire together. */
  jitter?: number;
  /** How long an entry is kept after it stops being fresh, to be served while one instance reloads it. 0 disables. */
  staleMs?: number;
  /** Expiry of the loader lock. Must exceed the slowest load, or a second instance starts loading too. */
  lockTtlMs?: number;
  /** How long a request waits for another instance's load before loading itself without storing. */
  waitTimeoutMs?: number;
  /** First pause between checks while waiting; doubles up to 8 times this. */
  pollIntervalMs?: number;
  /** Invalidations are published here; with a subscriber, this instance also hears the others'. */
  broadcast?: { publisher: PubSubPublisher; subscriber?: PubSubSubscriber };
  /** An in-process layer in front of Redis; needs `broadcast.subscriber` so invalidations reach it. */
  l1?: { maxEntries: number; ttlMs: number };
  registry?: Registry;
  /** The `cache` label of the metrics (default: the prefix). */
  name?: string;
  onReport?: (report: CacheReport) => void;
}

export const cacheDefaults = {
  ttlMs: 60_000,
  negativeTtlMs: 5_000,
  jitter: 0.1,
  staleMs: 300_000,
  lockTtlMs: 5_000,
  waitTimeoutMs: 10_000,
  pollIntervalMs: 10,
};

export type ResolvedCacheOptions<S extends TSchema> = CacheOptions<S> & typeof cacheDefaults;

export function resolveCacheOptions<S extends TSchema>(options: CacheOptions<S>): ResolvedCacheOptions<S> {
  const config = { ...cacheDefaults, ...options };
  const problems: string[] = [];
  const positive = (name: keyof typeof cacheDefaults) => {
    const value = config[name];
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number`);
  };
  positive('ttlMs');
  positive('negativeTtlMs');
  positive('lockTtlMs');
  positive('waitTimeoutMs');
  positive('pollIntervalMs');
  if (!(config.jitter >= 0 && config.jitter <= 0.5)) problems.push('jitter must be within 0..0.5');
  if (!(config.staleMs >= 0)) problems.push('staleMs must be 0 or more');
  // A waiter must outlive a dead holder's lock, or a crash turns every waiter into a loader.
  if (config.waitTimeoutMs <= config.lockTtlMs) problems.push('waitTimeoutMs must exceed lockTtlMs');
  if (config.l1) {
    if (!config.broadcast?.subscriber) problems.push('l1 needs broadcast.subscriber, or it would never hear of invalidations');
    if (!(Number.isInteger(config.l1.maxEntries) && config.l1.maxEntries > 0)) problems.push('l1.maxEntries must be a positive integer');
    if (!(config.l1.ttlMs > 0)) problems.push('l1.ttlMs must be positive');
  }
  if (problems.length > 0) throw new TributaryError('TRIB_INVALID_CONFIG', `cache ${options.prefix}: ${problems.join('; ')}`);
  return config;
}
