import { describe, expect, it } from 'vitest';
import { type RedisClient } from '../index.ts';
import { waitFor } from '../testing/index.ts';
import { createSlidingWindowLimiter } from './sliding-window.ts';
import { useRedis } from '../testing/vitest.ts';

describe('sliding-window limiter (real Redis)', () => {
  const { clients } = useRedis({ clients: 5, flush: true });
  const redis = () => clients[0] as RedisClient;

  it('admits exactly `limit` of 50 concurrent calls from 5 connections', async () => {
    const limiters = clients.map((client) => createSlidingWindowLimiter({ redis: client, prefix: 'test:sw', limit: 10, windowMs: 60_000 }));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (limiters[i % limiters.length] as (typeof limiters)[number]).take('alice')));
    const allowed = results.filter((result) => result.allowed);
    expect(allowed).toHaveLength(10);
    expect(allowed.map((result) => result.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const denied of results.filter((result) => !result.allowed)) {
      expect(denied.remaining).toBe(0);
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect(Number(await redis().sendCommand(['ZCARD', 'test:sw:alice']))).toBe(10);
  });

  it('admits again once the window has slid past the oldest request', async () => {
    const limiter = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:sw', limit: 2, windowMs: 300 });
    expect((await limiter.take('bob')).allowed).toBe(true);
    expect((await limiter.take('bob')).allowed).toBe(true);
    const refused = await limiter.take('bob');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(300);
    const again = await waitFor(async () => {
      const result = await limiter.take('bob');
      return result.allowed ? result : null;
    }, { timeoutMs: 5_000, description: 'window slid' });
    expect(again.allowed).toBe(true);
  });

  it('does not count refused requests, so a hammering client is not locked out for longer', async () => {
    const limiter = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:sw', limit: 1, windowMs: 60_000 });
    await limiter.take('carol');
    for (let i = 0; i < 20; i++) expect((await limiter.take('carol')).allowed).toBe(false);
    expect(Number(await redis().sendCommand(['ZCARD', 'test:sw:carol']))).toBe(1);
  });

  it('keeps separate keys independent', async () => {
    const limiter = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:sw', limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await limiter.take('dave')).allowed).toBe(true);
    expect((await limiter.take('dave')).allowed).toBe(false);
    expect((await limiter.take('erin')).allowed).toBe(true);
    const other = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:other', limit: 3, windowMs: 60_000 });
    expect((await other.take('dave')).allowed).toBe(true);
  });

  it('takes a cost of several units at once, or none of them', async () => {
    const limiter = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:sw', limit: 5, windowMs: 60_000 });
    expect(await limiter.take('frank', 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiter.take('frank', 3)).toMatchObject({ allowed: false, remaining: 2 });
    expect(await limiter.take('frank', 2)).toMatchObject({ allowed: true, remaining: 0 });
    await expect(limiter.take('frank', 6)).rejects.toThrow(RangeError);
    await expect(limiter.take('frank', 0)).rejects.toThrow(RangeError);
  });

  it('lets an idle client\'s key expire, so memory stays bounded', async () => {
    const limiter = createSlidingWindowLimiter({ redis: redis(), prefix: 'test:sw', limit: 5, windowMs: 200 });
    await limiter.take('gina');
    expect(Number(await redis().sendCommand(['EXISTS', 'test:sw:gina']))).toBe(1);
    await waitFor(async () => Number(await redis().sendCommand(['EXISTS', 'test:sw:gina'])) === 0, { timeoutMs: 5_000 });
  });

  it('rejects bad options at construction', () => {
    expect(() => createSlidingWindowLimiter({ redis: redis(), prefix: 'x', limit: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => createSlidingWindowLimiter({ redis: redis(), prefix: 'x', limit: 1, windowMs: 0.5 })).toThrow(RangeError);
  });
});
