import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../redis/client.ts';
import { lockKeys } from './keys.ts';
import { createLocks } from './locks.ts';
import { useRedis } from '../testing/vitest.ts';

const env = useRedis();

const PREFIX = 'test:lock';

describe('acquire and release', () => {
  it('one holder at a time; release frees it; tokens grow with every acquisition', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    const first = await locks.acquire(name, { ttlMs: 10_000 });
    expect(first?.token).toBe(1);
    expect(await locks.acquire(name, { ttlMs: 10_000 })).toBeNull();
    expect(await first?.release()).toBe(true);
    expect(await first?.release()).toBe(false);
    const second = await locks.acquire(name, { ttlMs: 10_000 });
    expect(second?.token).toBe(2);
    // Different locks do not interfere and count their own tokens.
    expect((await locks.acquire(randomUUID(), { ttlMs: 10_000 }))?.token).toBe(1);
  });

  it('sets an expiry on every lock; extend pushes it out only for the holder', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    const lease = await locks.acquire(name, { ttlMs: 5_000 });
    const ttl = await env.redis.pTTL(lockKeys(PREFIX, name).lock);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await lease?.extend(60_000)).toBe(true);
    expect(await env.redis.pTTL(lockKeys(PREFIX, name).lock)).toBeGreaterThan(5_000);
    expect(lease?.remainingMs()).toBeGreaterThan(0);
    expect(await lease?.release()).toBe(true);
    expect(await lease?.extend()).toBe(false);
    expect(lease?.remainingMs()).toBe(0);
    expect(await env.redis.exists(lockKeys(PREFIX, name).lock)).toBe(0);
  });

  it('a holder that dies (stops extending, never releases) loses the lock at expiry; a waiter then gets it', async () => {
    const holderClient = await connectRedis(env.server.url);
    const dead = await createLocks({ redis: holderClient, prefix: PREFIX }).acquire('singleton-job', { ttlMs: 300 });
    expect(dead).not.toBeNull();
    await holderClient.destroy();

    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    expect(await locks.acquire('singleton-job', { ttlMs: 10_000 })).toBeNull();
    const next = await locks.acquire('singleton-job', { ttlMs: 10_000, waitMs: 20_000 });
    expect(next).not.toBeNull();
    expect(next?.token).toBeGreaterThan(dead?.token ?? Infinity);
    await next?.release();
  });

  it('waiting stops when the signal aborts', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    await locks.acquire(name, { ttlMs: 60_000 });
    const controller = new AbortController();
    const waiting = locks.acquire(name, { ttlMs: 1_000, waitMs: 60_000, signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });

  it('rejects a ttl that is not a positive integer, before touching Redis', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    await expect(locks.acquire(name, { ttlMs: 0 })).rejects.toThrow(/ttlMs/);
    await expect(locks.acquire(name, { ttlMs: 1.5 })).rejects.toThrow(/ttlMs/);
    expect(await env.redis.exists([lockKeys(PREFIX, name).lock, lockKeys(PREFIX, name).fence])).toBe(0);
  });
});

describe('mutual exclusion under concurrency', () => {
  it('six clients x 8 read-modify-write rounds under withLock: never two inside, no lost update', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectRedis(env.server.url)));
    const counterKey = `${PREFIX}:counter:${randomUUID()}`;
    const name = randomUUID();
    let inside = 0;
    let mostInside = 0;
    try {
      await Promise.all(
        clients.map(async (client) => {
          const locks = createLocks({ redis: client, prefix: PREFIX });
          for (let round = 0; round < 8; round++) {
            await locks.withLock(name, async () => {
              inside++;
              mostInside = Math.max(mostInside, inside);
              // A read, a round trip that lets the others run, a write: a lost update without the lock.
              const value = Number((await client.get(counterKey)) ?? 0);
              await client.ping();
              await client.set(counterKey, String(value + 1));
              inside--;
            }, { ttlMs: 10_000, waitMs: 30_000 });
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
    expect(mostInside).toBe(1);
    expect(await env.redis.get(counterKey)).toBe('48');
    expect(await env.redis.exists(lockKeys(PREFIX, name).lock)).toBe(0);
    expect(await env.redis.get(lockKeys(PREFIX, name).fence)).toBe('48');
  });
});

describe('metrics', () => {
  it('counts acquisitions and timeouts', async () => {
    const registry = new Registry();
    const locks = createLocks({ redis: env.redis, prefix: PREFIX, registry });
    const name = randomUUID();
    await locks.acquire(name, { ttlMs: 10_000 });
    await locks.acquire(name, { ttlMs: 10_000 });
    const metric = await registry.getSingleMetricAsString('tributary_lock_events_total');
    expect(metric).toContain(`{prefix="${PREFIX}",event="acquired"} 1`);
    expect(metric).toContain(`{prefix="${PREFIX}",event="timeout"} 1`);
  });
});

