import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { TributaryError } from '../errors.ts';
import { runLuaScript } from '../redis/script.ts';
import type { Handler } from '../streams/consumer.ts';
import type { EventData, EventDefinition } from '../streams/events.ts';
import { entryCodec, type CacheEntry, type Decoded } from './codec.ts';
import { chunks, invalidationChannel, MAX_KEYS_PER_MESSAGE } from './invalidation.ts';
import { cacheKeys, type CacheKeys } from './keys.ts';
import { BoundedLru } from './l1.ts';
import { cacheMeter, type CacheStats } from './metrics.ts';
import { resolveCacheOptions, type CacheOptions } from './options.ts';
import { readOrLockScript, releaseLockScript, storeIfLockedScript, type ReadOrLockReply } from './scripts.ts';

export interface Cache<T> {
  readonly keys: CacheKeys;
  /** The value, or null when the loader said there is none. Loader errors reach the caller; Redis errors never do. */
  get(key: string): Promise<T | null>;
  /** Deletes the entries (and any loader lock) in Redis, drops them here, then broadcasts. Throws while Redis is down. */
  invalidate(keys: string | readonly string[]): Promise<void>;
  /** A consumer handler that invalidates the keys an event names. `definition` only types `keysOf`. */
  invalidateOn<D extends EventDefinition>(definition: D, keysOf: (data: EventData<D>) => string | readonly string[]): Handler<D>;
  stats(): CacheStats;
  /** Subscribes to the invalidation broadcast (when a subscriber was given). */
  start(): Promise<void>;
  close(): Promise<void>;
}

type Attempt<T> =
  | { kind: 'fresh'; entry: CacheEntry<T> }
  | { kind: 'stale'; entry: CacheEntry<T> }
  | { kind: 'locked' }
  | { kind: 'busy' }
  | { kind: 'unavailable' };

const valueOf = <T>(entry: CacheEntry<T>): T | null => (entry.found ? entry.value : null);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new TributaryError('TRIB_CLOSED', 'cache closed'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new TributaryError('TRIB_CLOSED', 'cache closed'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Cache-aside over Redis with one loader per key across every instance: the
 * first request for a missing key takes a short-lived lock (SET NX PX) and
 * loads; the others serve the stale copy if there is one, or wait for the
 * loader's result. See docs/kit/cache.md.
 */
export function createCache<S extends TSchema>(options: CacheOptions<S>): Cache<Static<S>> {
  type T = Static<S>;
  const config = resolveCacheOptions(options);
  const { redis } = config;
  const keys = cacheKeys(config.prefix);
  const codec = entryCodec(config.schema);
  const meter = cacheMeter(config.name ?? config.prefix, config.registry);
  const report = config.onReport ?? (() => undefined);
  const channel = invalidationChannel(config.prefix);
  const l1 = config.l1 ? new BoundedLru<T>(config.l1.maxEntries) : null;
  const flights = new Map<string, Promise<T | null>>();
  const abort = new AbortController();
  const cleanups: Array<() => unknown> = [];
  // Bumped by every invalidation seen here: a load that began before one must not fill L1.
  let epoch = 0;
  let closed = false;

  const jittered = (ms: number) => Math.max(1, Math.round(ms * (1 + config.jitter * (2 * Math.random() - 1))));
  const redisError = (error: unknown) => report({ kind: 'redis-error', error: error instanceof Error ? error : new Error(String(error)) });

  function remember(key: string, entry: CacheEntry<T>, startedEpoch: number) {
    if (l1 && config.l1 && startedEpoch === epoch) l1.set(key, entry, Date.now() + config.l1.ttlMs);
  }

  function dropLocal(dropped: readonly string[]) {
    epoch++;
    for (const key of dropped) {
      l1?.delete(key);
      // Later readers must not join a load that may have read the old value.
      flights.delete(key);
    }
  }

  /** One round trip: the entry if fresh, else the lock if free. A corrupt entry counts as absent. */
  async function attempt(key: string, token: string): Promise<Attempt<T>> {
    const run = (force: boolean) =>
      runLuaScript<ReadOrLockReply>(redis, readOrLockScript, [keys.entry(key), keys.lock(key)], [config.staleMs, token, config.lockTtlMs, force ? '1' : '0']);
    try {
      let [state, locked, payload] = await run(false);
      let decoded: Decoded<T> | null = payload === null ? null : codec.decode(payload);
      if (decoded && !decoded.ok) {
        meter.corrupt();
        report({ kind: 'corrupt', key, reason: decoded.reason });
        if (state === 'fresh') [state, locked] = await run(true);
        decoded = null;
      }
      if (state === 'fresh' && decoded?.ok) return { kind: 'fresh', entry: decoded.entry };
      if (Number(locked) === 1) return { kind: 'locked' };
      if (state === 'stale' && decoded?.ok) return { kind: 'stale', entry: decoded.entry };
      return { kind: 'busy' };
    } catch (error) {
      redisError(error);
      return { kind: 'unavailable' };
    }
  }

  async function release(key: string, token: string) {
    if (!redis.isReady) return;
    await runLuaScript(redis, releaseLockScript, [keys.lock(key)], [token]).catch(redisError);
  }

  async function load(key: string): Promise<T | null> {
    const started = performance.now();
    try {
      const value = await config.load(key, abort.signal);
      meter.load(value === null ? 'not_found' : 'found', (performance.now() - started) / 1000);
      return value;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      meter.load('error', (performance.now() - started) / 1000);
      report({ kind: 'load-error', key, error });
      throw error;
    }
  }

  async function loadAndStore(key: string, token: string, startedEpoch: number): Promise<T | null> {
    let value: T | null;
    try {
      value = await load(key);
    } catch (error) {
      await release(key, token);
      throw error;
    }
    const encoded = codec.encode(value);
    if ('problem' in encoded) {
      report({ kind: 'invalid-value', key, problem: encoded.problem });
      await release(key, token);
      return value;
    }
    const ttlMs = jittered(value === null ? config.negativeTtlMs : config.ttlMs) + config.staleMs;
    if (!redis.isReady) return value;
    try {
      const stored = await runLuaScript<number>(redis, storeIfLockedScript, [keys.entry(key), keys.lock(key)], [token, encoded.payload, ttlMs]);
      if (Number(stored) === 1) remember(key, value === null ? { found: false } : { found: true, value }, startedEpoch);
      else report({ kind: 'lock-lost', key });
    } catch (error) {
      redisError(error);
    }
    return value;
  }

  async function bypass(key: string, reason: 'redis_unavailable' | 'wait_timeout'): Promise<T | null> {
    meter.bypass(reason);
    return load(key);
  }

  async function waitForLoader(key: string, token: string, startedEpoch: number): Promise<T | null> {
    meter.wait();
    report({ kind: 'waiting', key });
    const deadline = Date.now() + config.waitTimeoutMs;
    let pause = config.pollIntervalMs;
    while (Date.now() < deadline) {
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())), abort.signal);
      pause = Math.min(pause * 2, config.pollIntervalMs * 8);
      const next = await attempt(key, token);
      if (next.kind === 'unavailable') return bypass(key, 'redis_unavailable');
      if (next.kind === 'locked') return loadAndStore(key, token, startedEpoch);
      if (next.kind === 'fresh') {
        remember(key, next.entry, startedEpoch);
        return valueOf(next.entry);
      }
      if (next.kind === 'stale') {
        meter.stale();
        return valueOf(next.entry);
      }
    }
    report({ kind: 'wait-timeout', key });
    return bypass(key, 'wait_timeout');
  }

  async function resolve(key: string): Promise<T | null> {
    const startedEpoch = epoch;
    // A command to a disconnected client would wait in its offline queue; the source of truth does not.
    if (!redis.isReady) return bypass(key, 'redis_unavailable');
    const token = randomUUID();
    const first = await attempt(key, token);
    if (first.kind === 'unavailable') return bypass(key, 'redis_unavailable');
    if (first.kind === 'fresh') {
      meter.hit('redis', !first.entry.found);
      remember(key, first.entry, startedEpoch);
      return valueOf(first.entry);
    }
    meter.miss();
    if (first.kind === 'locked') return loadAndStore(key, token, startedEpoch);
    if (first.kind === 'stale') {
      meter.stale();
      return valueOf(first.entry);
    }
    return waitForLoader(key, token, startedEpoch);
  }

  async function invalidate(input: string | readonly string[]): Promise<void> {
    const list = typeof input === 'string' ? [input] : [...new Set(input)];
    if (list.length === 0) return;
    if (!redis.isReady) throw new TributaryError('TRIB_NOT_CONNECTED', `cache ${config.prefix}: Redis is not connected, invalidation not applied`);
    // One DEL per key: an entry and its lock share a slot, two keys need not.
    await Promise.all(list.map((key) => redis.del([keys.entry(key), keys.lock(key)])));
    dropLocal(list);
    if (config.broadcast) {
      const { publisher } = config.broadcast;
      for (const part of chunks(list, MAX_KEYS_PER_MESSAGE)) await publisher.publish(channel, { keys: part }).catch(redisError);
    }
  }

  return {
    keys,
    get(key) {
      if (closed) return Promise.reject(new TributaryError('TRIB_CLOSED', 'cache closed'));
      const local = l1?.get(key, Date.now());
      if (local) {
        meter.hit('l1', !local.found);
        return Promise.resolve(valueOf(local));
      }
      // Concurrent requests in one process share one trip to Redis (and at most one load).
      const pending = flights.get(key);
      if (pending) return pending;
      const flight = resolve(key).finally(() => {
        if (flights.get(key) === flight) flights.delete(key);
      });
      flights.set(key, flight);
      return flight;
    },
    invalidate,
    invalidateOn(_definition, keysOf) {
      // Deleting is idempotent, so a redelivered event needs no dedup record.
      return async (event) => invalidate(keysOf(event.data));
    },
    stats: () => meter.stats(),
    async start() {
      const subscriber = config.broadcast?.subscriber;
      if (!subscriber) return;
      const unsubscribe = await subscriber.subscribe(channel, (message) => dropLocal(message.keys));
      // Invalidations sent while the subscription was down are lost: forget everything local.
      const stopListening = subscriber.onResubscribed(() => {
        epoch++;
        l1?.clear();
      });
      cleanups.push(unsubscribe, stopListening);
    },
    async close() {
      if (closed) return;
      closed = true;
      abort.abort();
      for (const cleanup of cleanups.splice(0)) await cleanup();
      l1?.clear();
    },
  };
}
