import { describe, expect, it } from 'vitest';
import { type RedisClient } from '../index.ts';
import { waitFor } from '../testing/index.ts';
import { createTokenBucketLimiter } from './token-bucket.ts';
import { useRedis } from '../testing/vitest.ts';

describe('token-bucket limiter (real Redis)', () => {
  const { clients } = useRedis({ clients: 5, flush: true });
  const redis = () => clients[0] as RedisClient;

  it('admits exactly `capacity` of 50 concurrent calls from 5 connections', async () => {
    // A refill of one token per 1000 s cannot add a whole token during the test.
    const limiters = clients.map((client) => createTokenBucketLimiter({ redis: client, prefix: 'test:tb', capacity: 10, refillPerSecond: 0.001 }));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (limiters[i % limiters.length] as (typeof limiters)[number]).take('alice')));
    const allowed = results.filter((result) => result.allowed);
    expect(allowed).toHaveLength(10);
    expect(allowed.map((result) => result.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const denied of results.filter((result) => !result.allowed)) {
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(1_000_000);
    }
  });

  it('refills over time and admits again', async () => {
    // A token a second: a loaded machine must not refill between the takes.
    const limiter = createTokenBucketLimiter({ redis: redis(), prefix: 'test:tb', capacity: 2, refillPerSecond: 1 });
    expect((await limiter.take('bob')).allowed).toBe(true);
    expect((await limiter.take('bob')).allowed).toBe(true);
    const refused = await limiter.take('bob');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    await waitFor(async () => (await limiter.take('bob')).allowed, { timeoutMs: 5_000, description: 'a token refilled' });
  });

  it('never holds more than its capacity, however long it was idle', async () => {
    const limiter = createTokenBucketLimiter({ redis: redis(), prefix: 'test:tb', capacity: 3, refillPerSecond: 0.001 });
    await limiter.take('carol');
    // As if the last request were at the epoch: uncapped, the refill would be millions of tokens.
    await redis().sendCommand(['HSET', 'test:tb:carol', 'at', '0']);
    const results = await Promise.all(Array.from({ length: 6 }, () => limiter.take('carol')));
    expect(results.filter((result) => result.allowed)).toHaveLength(3);
  });

  it('keeps separate keys independent', async () => {
    const limiter = createTokenBucketLimiter({ redis: redis(), prefix: 'test:tb', capacity: 2, refillPerSecond: 0.001 });
    expect((await limiter.take('dave')).allowed).toBe(true);
    expect((await limiter.take('dave')).allowed).toBe(true);
    expect((await limiter.take('dave')).allowed).toBe(false);
    expect((await limiter.take('erin')).allowed).toBe(true);
  });

  it('takes a cost of several tokens at once, or none of them', async () => {
    const limiter = createTokenBucketLimiter({ redis: redis(), prefix: 'test:tb', capacity: 5, refillPerSecond: 0.001 });
    expect(await limiter.take('frank', 4)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.take('frank', 2)).toMatchObject({ allowed: false, remaining: 1 });
    expect(await limiter.take('frank', 1)).toMatchObject({ allowed: true, remaining: 0 });
    await expect(limiter.take('frank', 6)).rejects.toThrow(RangeError);
  });

  it('lets an idle client\'s key expire once its bucket is full again', async () => {
    // Two tokens at two a second: full again, and gone, a second later.
    const limiter = createTokenBucketLimiter({ redis: redis(), prefix: 'test:tb', capacity: 5, refillPerSecond: 2 });
    await limiter.take('gina', 2);
    const ttl = Number(await redis().sendCommand(['PTTL', 'test:tb:gina']));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    await waitFor(async () => Number(await redis().sendCommand(['EXISTS', 'test:tb:gina'])) === 0, { timeoutMs: 5_000 });
  });

  it('rejects bad options at construction', () => {
    expect(() => createTokenBucketLimiter({ redis: redis(), prefix: 'x', capacity: 1.5, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => createTokenBucketLimiter({ redis: redis(), prefix: 'x', capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
