import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../index.ts';
import { waitFor } from '../testing/index.ts';
import { rateLimitHook } from './fastify.ts';
import { createTokenBucketLimiter } from './token-bucket.ts';
import { createSlidingWindowLimiter } from './sliding-window.ts';
import { useRedis } from '../testing/vitest.ts';

describe('rateLimitHook (real Redis)', () => {
  const env = useRedis({ flush: true });
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function appWith(hook: ReturnType<typeof rateLimitHook>): Promise<FastifyInstance> {
    const app = Fastify();
    await app.register(async (limited) => {
      limited.addHook('onRequest', hook);
      limited.get('/limited', async () => ({ ok: true }));
    });
    app.get('/free', async () => ({ ok: true }));
    await app.ready();
    apps.push(app);
    return app;
  }

  it('answers 429 RATE_LIMITED with Retry-After once the burst is spent', async () => {
    const limiter = createTokenBucketLimiter({ redis: env.redis, prefix: 'test:hook', capacity: 3, refillPerSecond: 0.5 });
    const app = await appWith(rateLimitHook({ limiter }));
    for (let i = 0; i < 3; i++) {
      const ok = await app.inject({ method: 'GET', url: '/limited' });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-limit']).toBe('3');
      expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
      expect(ok.headers['retry-after']).toBeUndefined();
    }
    const refused = await app.inject({ method: 'GET', url: '/limited' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(typeof refused.json().message).toBe('string');
    // One token per 2 s: the client must wait 2 s, rounded up to whole seconds.
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-policy']).toBe('3;w=6');
    // Routes outside the hooked context are not limited.
    expect((await app.inject({ method: 'GET', url: '/free' })).statusCode).toBe(200);
  });

  it('keys by client IP by default, so one client cannot spend another\'s limit', async () => {
    const limiter = createSlidingWindowLimiter({ redis: env.redis, prefix: 'test:hook', limit: 1, windowMs: 60_000 });
    const app = await appWith(rateLimitHook({ limiter }));
    expect((await app.inject({ method: 'GET', url: '/limited', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/limited', remoteAddress: '10.0.0.1' })).statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/limited', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
  });

  it('keys by a caller-chosen function, and lets a null key through', async () => {
    const limiter = createSlidingWindowLimiter({ redis: env.redis, prefix: 'test:hook', limit: 1, windowMs: 60_000 });
    const app = await appWith(rateLimitHook({ limiter, key: (request) => (request.headers['x-tenant'] as string | undefined) ?? null }));
    expect((await app.inject({ method: 'GET', url: '/limited', headers: { 'x-tenant': 'a' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/limited', headers: { 'x-tenant': 'a' } })).statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/limited', headers: { 'x-tenant': 'b' } })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/limited' })).statusCode).toBe(200);
  });

  it('admits the client again after Retry-After', async () => {
    // One token a second: slow enough that a loaded machine cannot refill the
    // bucket between the first two requests (at 20 a second it once did, in
    // CI), quick enough to wait for.
    const limiter = createTokenBucketLimiter({ redis: env.redis, prefix: 'test:hook', capacity: 1, refillPerSecond: 1 });
    const app = await appWith(rateLimitHook({ limiter }));
    expect((await app.inject({ method: 'GET', url: '/limited' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/limited' })).statusCode).toBe(429);
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/limited' })).statusCode === 200, { timeoutMs: 5_000 });
  });

  it('fails open by default when Redis is unusable, and closed (503) when asked', async () => {
    const broken = await connectRedis(env.server.url);
    await broken.close();
    const limiter = createTokenBucketLimiter({ redis: broken, prefix: 'test:hook', capacity: 1, refillPerSecond: 1 });
    const errors: unknown[] = [];
    const open = await appWith(rateLimitHook({ limiter, onError: (error) => errors.push(error) }));
    expect((await open.inject({ method: 'GET', url: '/limited' })).statusCode).toBe(200);
    expect(errors).toHaveLength(1);
    const closed = await appWith(rateLimitHook({ limiter, failOpen: false, onError: () => undefined }));
    const refused = await closed.inject({ method: 'GET', url: '/limited' });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITER_UNAVAILABLE' });
  });
});
