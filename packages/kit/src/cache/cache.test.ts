import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { createPubSubPublisher, createPubSubSubscriber, type PubSubSubscriber } from '../pubsub/index.ts';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { createConsumer } from '../streams/consumer.ts';
import { defineEvent } from '../streams/events.ts';
import { createPublisher } from '../streams/publisher.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createCache, invalidationChannel, type Cache, type CacheOptions, type CacheReport } from './index.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { useRedis } from '../testing/vitest.ts';

const Product = Type.Object({ id: Type.String(), priceCents: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
type Product = { id: string; priceCents: number };

const env = useRedis();
let closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A source of truth the loader reads, with a count of reads. */
function source(initial: Record<string, number>) {
  const prices = new Map(Object.entries(initial));
  const state = { reads: 0, prices };
  const load = async (id: string): Promise<Product | null> => {
    state.reads++;
    const priceCents = prices.get(id);
    return priceCents === undefined ? null : { id, priceCents };
  };
  return { state, load };
}

type Options = Omit<CacheOptions<typeof Product>, 'redis' | 'prefix' | 'schema'> & { prefix?: string };

function cacheOn(client: RedisClient, options: Options): Cache<Product> {
  const cache = createCache({ redis: client, prefix: options.prefix ?? `t${randomBytes(4).toString('hex')}:cache`, schema: Product, ...options });
  closers.push(() => cache.close());
  return cache;
}

async function subscriber(client: RedisClient): Promise<PubSubSubscriber> {
  const sub = createPubSubSubscriber({ redis: client });
  closers.push(() => sub.close());
  return sub;
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((value) => Object.entries(labels).every(([label, expected]) => value.labels[label] === expected))
    .reduce((sum, value) => sum + value.value, 0);
}

describe('cache-aside', () => {
  it('loads on a miss, then serves hits from Redis with a jittered TTL, and counts both', async () => {
    const registry = new Registry();
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(env.redis, { load, ttlMs: 60_000, staleMs: 0, jitter: 0.1, registry, name: 'products' });

    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    state.prices.set('p1', 999);
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    expect(state.reads).toBe(1);

    expect(JSON.parse((await env.redis.get(cache.keys.entry('p1'))) ?? 'null')).toEqual({ found: true, value: { id: 'p1', priceCents: 100 } });
    expect(cache.keys.entry('p1')).toMatch(/^t[0-9a-f]{8}:cache:\{p1\}$/);
    const ttl = await env.redis.pTTL(cache.keys.entry('p1'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(66_000);
    expect(await env.redis.exists(cache.keys.lock('p1'))).toBe(0);

    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, negativeHits: 0, staleServed: 0 });
    expect(await metricValue(registry, 'tributary_cache_hits_total', { cache: 'products', layer: 'redis' })).toBe(1);
    expect(await metricValue(registry, 'tributary_cache_misses_total', { cache: 'products' })).toBe(1);
    expect(await metricValue(registry, 'tributary_cache_loads_total', { cache: 'products', outcome: 'found' })).toBe(1);
    expect(await registry.getSingleMetricAsString('tributary_cache_load_duration_seconds')).toContain('tributary_cache_load_duration_seconds_count{cache="products"} 1');
  });

  it('loads again once the entry expired', async () => {
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(env.redis, { load, ttlMs: 150, staleMs: 0 });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    state.prices.set('p1', 200);
    await waitFor(async () => (await env.redis.exists(cache.keys.entry('p1'))) === 0, { timeoutMs: 5_000, description: 'entry expires' });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 200 });
    expect(state.reads).toBe(2);
  });

  it('caches "not found" for the shorter negative TTL', async () => {
    const registry = new Registry();
    const { state, load } = source({});
    const cache = cacheOn(env.redis, { load, ttlMs: 60_000, negativeTtlMs: 300, staleMs: 30_000, jitter: 0.1, registry });

    expect(await cache.get('ghost')).toBeNull();
    expect(await cache.get('ghost')).toBeNull();
    expect(state.reads).toBe(1);
    expect(await env.redis.get(cache.keys.entry('ghost'))).toBe('{"found":false}');
    // Fresh for at most the negative TTL (+10 % jitter) on top of the stale window.
    const ttl = await env.redis.pTTL(cache.keys.entry('ghost'));
    expect(ttl).toBeGreaterThan(30_000);
    expect(ttl).toBeLessThanOrEqual(30_330);
    expect(cache.stats()).toMatchObject({ hits: 1, negativeHits: 1, loads: 1 });
    expect(await metricValue(registry, 'tributary_cache_negative_hits_total')).toBe(1);
    expect(await metricValue(registry, 'tributary_cache_loads_total', { outcome: 'not_found' })).toBe(1);

    // The product appears; once the negative entry is no longer fresh, the next read finds it.
    state.prices.set('ghost', 5);
    await waitFor(async () => (await env.redis.pTTL(cache.keys.entry('ghost'))) <= 30_000, { timeoutMs: 5_000, description: 'negative entry turns stale' });
    expect(await cache.get('ghost')).toEqual({ id: 'ghost', priceCents: 5 });
    expect(state.reads).toBe(2);
  });

  it('serves the stale copy while another instance reloads, and reloads itself when the lock is free', async () => {
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(env.redis, { load, ttlMs: 100, staleMs: 60_000, jitter: 0 });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    state.prices.set('p1', 150);
    await waitFor(async () => (await env.redis.pTTL(cache.keys.entry('p1'))) <= 60_000, { timeoutMs: 5_000, description: 'entry turns stale' });

    await env.redis.set(cache.keys.lock('p1'), 'another-instance', { PX: 10_000 });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    expect(state.reads).toBe(1);
    expect(cache.stats()).toMatchObject({ staleServed: 1, misses: 2 });

    await env.redis.del(cache.keys.lock('p1'));
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 150 });
    expect(state.reads).toBe(2);
    expect(await env.redis.pTTL(cache.keys.entry('p1'))).toBeGreaterThan(60_000);
  });

  it('treats a corrupt entry as a miss and overwrites it', async () => {
    const reports: CacheReport[] = [];
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(env.redis, { load, onReport: (report) => reports.push(report) });
    const corrupt = ['not json', '42', '{"found":true}', '{"found":true,"value":{"id":"p1"}}', '{"found":true,"value":{"id":"p1","priceCents":-1}}', '{"found":"yes"}'];
    for (const payload of corrupt) {
      await env.redis.set(cache.keys.entry('p1'), payload, { PX: 60_000 });
      expect(await cache.get('p1'), payload).toEqual({ id: 'p1', priceCents: 100 });
      expect(JSON.parse((await env.redis.get(cache.keys.entry('p1'))) ?? 'null'), payload).toEqual({ found: true, value: { id: 'p1', priceCents: 100 } });
    }
    expect(state.reads).toBe(corrupt.length);
    expect(cache.stats()).toMatchObject({ corrupt: corrupt.length, hits: 0 });
    expect(reports.filter((report) => report.kind === 'corrupt')).toHaveLength(corrupt.length);
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    expect(cache.stats().hits).toBe(1);
  });

  it('never stores a value that does not match the schema', async () => {
    const reports: CacheReport[] = [];
    const cache = cacheOn(env.redis, { load: async (id) => ({ id, priceCents: -1 }), onReport: (report) => reports.push(report) });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: -1 });
    expect(await env.redis.exists([cache.keys.entry('p1'), cache.keys.lock('p1')])).toBe(0);
    expect(reports).toContainEqual({ kind: 'invalid-value', key: 'p1', problem: expect.stringContaining('priceCents') });
  });

  it('a failing loader reaches the caller and frees the lock at once', async () => {
    let fail = true;
    const cache = cacheOn(env.redis, {
      load: async (id) => {
        if (fail) throw new Error('database down');
        return { id, priceCents: 1 };
      },
    });
    await expect(cache.get('p1')).rejects.toThrow('database down');
    expect(await env.redis.exists([cache.keys.entry('p1'), cache.keys.lock('p1')])).toBe(0);
    fail = false;
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 1 });
    expect(cache.stats()).toMatchObject({ loads: 2, loadErrors: 1, waits: 0 });
  });

  it('a load that finishes after an invalidation does not write its old value back', async () => {
    const reports: CacheReport[] = [];
    let price = 100;
    let answer!: () => void;
    const gate = new Promise<void>((resolve) => (answer = resolve));
    let reads = 0;
    const cache = cacheOn(env.redis, {
      load: async (id) => {
        reads++;
        const read = price; // read before the change commits...
        if (reads === 1) await gate;
        return { id, priceCents: read };
      },
      onReport: (report) => reports.push(report),
    });
    const slow = cache.get('p1');
    await waitFor(async () => (await env.redis.exists(cache.keys.lock('p1'))) === 1, { timeoutMs: 5_000, description: 'loader holds the lock' });
    price = 200; // ...the change commits, and its writer invalidates
    await cache.invalidate('p1');
    answer();
    expect(await slow).toEqual({ id: 'p1', priceCents: 100 });
    expect(await env.redis.exists(cache.keys.entry('p1'))).toBe(0);
    expect(reports).toContainEqual({ kind: 'lock-lost', key: 'p1' });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 200 });
  });
});

describe('invalidation', () => {
  it('deletes the entry in Redis, broadcasts it, and every in-process layer drops it', async () => {
    const prefix = `inv${randomBytes(4).toString('hex')}:cache`;
    const { state, load } = source({ p1: 100, p2: 7 });
    const publisher = createPubSubPublisher({ redis: env.redis });
    const subB = await subscriber(env.redis);
    const heard: unknown[] = [];
    const subOther = await subscriber(env.redis);
    await subOther.subscribe(invalidationChannel(prefix), (message) => void heard.push(message));
    await subOther.start();

    const a = cacheOn(env.redis, { prefix, load, broadcast: { publisher } });
    const b = cacheOn(env.redis, { prefix, load, broadcast: { publisher, subscriber: subB }, l1: { maxEntries: 10, ttlMs: 60_000 } });
    await b.start();
    await subB.start();

    expect(await b.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    state.prices.set('p1', 300);
    await env.redis.del(b.keys.entry('p1'));
    // Served from b's in-process layer: Redis no longer has it.
    expect(await b.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    expect(b.stats().l1Hits).toBe(1);

    await a.invalidate(['p1', 'p2']);
    expect(await env.redis.exists(a.keys.entry('p1'))).toBe(0);
    await waitFor(async () => (await b.get('p1'))?.priceCents === 300, { timeoutMs: 5_000, description: 'b drops p1 from its layer' });
    await waitFor(() => heard.length === 1, { timeoutMs: 5_000 });
    expect(heard).toEqual([{ keys: ['p1', 'p2'] }]);
  });

  it('keeps the in-process layer bounded and clears it when the subscription reconnects', async () => {
    const { load } = source({ a: 1, b: 2, c: 3 });
    const sub = await subscriber(env.redis);
    const cache = cacheOn(env.redis, { load, broadcast: { publisher: createPubSubPublisher({ redis: env.redis }), subscriber: sub }, l1: { maxEntries: 2, ttlMs: 60_000 } });
    await cache.start();
    await sub.start();
    for (const key of ['a', 'b', 'c']) await cache.get(key);
    await cache.get('a'); // evicted by c: back to Redis
    expect(cache.stats()).toMatchObject({ l1Hits: 0, hits: 1 });
    await cache.get('c');
    expect(cache.stats().l1Hits).toBe(1);

    let resubscribed = 0;
    sub.onResubscribed(() => resubscribed++);
    await env.redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await waitFor(() => resubscribed === 1, { timeoutMs: 10_000, description: 'resubscribed' });
    await cache.get('c');
    expect(cache.stats()).toMatchObject({ l1Hits: 1, hits: 3 });
  });

  it('invalidateOn turns an event into an invalidation, through a real consumer', async () => {
    const PriceChanged = defineEvent({ source: 'shoptest', type: 'PriceChanged', schema: Type.Object({ productId: Type.String(), priceCents: Type.Integer() }) });
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(env.redis, { load });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });

    const consumer = createConsumer({ redis: env.redis, stream: PriceChanged.stream, group: 'cache', consumer: 'c1', blockMs: 50 })
      .on(PriceChanged, cache.invalidateOn(PriceChanged, (data) => data.productId));
    await consumer.start();
    closers.push(() => consumer.close());
    state.prices.set('p1', 120);
    await createPublisher({ redis: env.redis, service: 'shoptest' }).publish(PriceChanged, { productId: 'p1', priceCents: 120 });
    await waitFor(async () => (await env.redis.exists(cache.keys.entry('p1'))) === 0, { timeoutMs: 10_000, description: 'event invalidates' });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 120 });
  });

  it('rejects configurations that cannot work', () => {
    const load = async () => null;
    const make = (options: Partial<CacheOptions<typeof Product>>) => () => createCache({ redis: env.redis, prefix: 'x:cache', schema: Product, load, ...options });
    for (const bad of [
      make({ prefix: 'x:{cache}' }),
      make({ prefix: '' }),
      make({ lockTtlMs: 5_000, waitTimeoutMs: 5_000 }),
      make({ ttlMs: 0 }),
      make({ jitter: 0.9 }),
      make({ l1: { maxEntries: 10, ttlMs: 1_000 } }),
    ]) {
      expect(bad).toThrow(TributaryError);
    }
  });
});

describe('cache while Redis is down', () => {
  let own: RedisServer | undefined;
  afterAll(async () => {
    await own?.stop();
  });

  it('reads through to the loader and refuses to pretend an invalidation happened', async () => {
    own = await startRedisServer();
    const client = await connectRedis(own.url);
    closers.push(async () => void client.destroy());
    const { state, load } = source({ p1: 100 });
    const cache = cacheOn(client, { load });
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 100 });
    await own.kill();
    await waitFor(() => !client.isReady, { timeoutMs: 10_000, description: 'client notices' });
    state.prices.set('p1', 101);
    expect(await cache.get('p1')).toEqual({ id: 'p1', priceCents: 101 });
    expect(cache.stats()).toMatchObject({ bypassed: 1, loads: 2 });
    await expect(cache.invalidate('p1')).rejects.toThrow(/not connected/);
  });
});
