import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { gatewayDefaults, settingsFromEnv } from '../src/settings.ts';
import { cookieFrom, product, useGateway, user } from './harness.ts';

const t = useGateway();

describe('rate limits on /api/*', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a client spent its burst', async () => {
    t.stub('catalog', () => ({ status: 200, body: product }));
    const app = await t.start({ rateLimit: { burst: 5, perSecond: 0.25 } });
    for (let i = 0; i < 5; i++) {
      const ok = await app.inject({ method: 'GET', url: '/api/products/p-1' });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    const refused = await app.inject({ method: 'GET', url: '/api/products/p-1' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(refused.headers['retry-after']).toBe('4');
    expect(refused.headers['ratelimit-limit']).toBe('5');
    expect(t.callsTo('catalog')).toHaveLength(5);
    // Another client is not affected, nor are health and metrics.
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', remoteAddress: '10.0.0.9' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('lets the client through again once tokens refill', async () => {
    t.stub('catalog', () => ({ status: 200, body: product }));
    // A token a second: the second request, right behind the first, finds none even on a loaded machine (at 20/s it once did).
    const app = await t.start({ rateLimit: { burst: 1, perSecond: 1 } });
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(429);
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode === 200, { timeoutMs: 10_000, intervalMs: 200 });
  });

  it('counts a signed-in customer by session, not by the shared IP', async () => {
    t.stub('accounts', () => ({ status: 200, body: user }));
    t.stub('catalog', () => ({ status: 200, body: product }));
    const app = await t.start({ rateLimit: { burst: 2, perSecond: 0.01 } });
    const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
    expect(login.statusCode).toBe(201);
    const cookie = cookieFrom(login.headers['set-cookie']);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(429);
    // The IP's bucket is empty; the session has its own.
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { cookie } })).statusCode).toBe(429);
  });

  it('does not count requests carrying the valid admin key (a load test measures the system, not the limit); a wrong key is counted', async () => {
    const KEY = 'load-test-admin-key';
    t.stub('catalog', () => ({ status: 200, body: product }));
    const app = await t.start({ rateLimit: { burst: 2, perSecond: 0.01 }, adminApiKey: KEY });
    for (let i = 0; i < 5; i++) {
      const exempt = await app.inject({ method: 'GET', url: '/api/products/p-1', headers: i % 2 ? { authorization: `Bearer ${KEY}` } : { 'x-api-key': KEY } });
      expect(exempt.statusCode).toBe(200);
      expect(exempt.headers['ratelimit-remaining']).toBeUndefined();
    }
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { 'x-api-key': 'wrong' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { 'x-api-key': 'wrong' } })).statusCode).toBe(429);
  });

  it('exempts nobody in open mode (no admin key), whatever x-api-key says', async () => {
    t.stub('catalog', () => ({ status: 200, body: product }));
    const app = await t.start({ rateLimit: { burst: 1, perSecond: 0.01 }, adminApiKey: null });
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { 'x-api-key': 'anything' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1', headers: { 'x-api-key': 'anything' } })).statusCode).toBe(429);
  });

  it('reads limits from the environment, with generous documented defaults, and rejects nonsense', () => {
    const keyed = { ADMIN_API_KEY: 'k' };
    expect(settingsFromEnv(keyed).rateLimit).toEqual(gatewayDefaults.rateLimit);
    expect(gatewayDefaults.rateLimit.burst).toBeGreaterThanOrEqual(500);
    expect(settingsFromEnv({ ...keyed, RATE_LIMIT_BURST: '10', RATE_LIMIT_PER_SECOND: '2.5' }).rateLimit).toEqual({ burst: 10, perSecond: 2.5 });
    expect(() => settingsFromEnv({ ...keyed, RATE_LIMIT_BURST: '1.5' })).toThrow(/RATE_LIMIT_BURST/);
    expect(() => settingsFromEnv({ ...keyed, RATE_LIMIT_PER_SECOND: '0' })).toThrow(/RATE_LIMIT_PER_SECOND/);
    expect(() => settingsFromEnv({ ...keyed, SESSION_COOKIE_SECURE: 'maybe' })).toThrow(/SESSION_COOKIE_SECURE/);
    expect(settingsFromEnv(keyed).adminApiKey).toBe('k');
    // No key and no explicit open mode: refused (customer-auth.test.ts has the rest).
    expect(() => settingsFromEnv({})).toThrow(/ADMIN_API_KEY is not set/);
  });
});

describe('admin key', () => {
  const KEY = 'correct-horse-battery-staple';
  const admin = [
    { method: 'POST' as const, url: '/api/products', payload: { sku: 'S', name: 'n', priceCents: 1, stock: 1 } },
    { method: 'PATCH' as const, url: '/api/products/p-1', payload: { priceCents: 2 } },
    { method: 'GET' as const, url: '/api/admin/dead-letters?stream=ordering:events' },
    { method: 'POST' as const, url: '/api/admin/dead-letters/replay', payload: { stream: 'ordering:events' } },
    { method: 'POST' as const, url: '/api/admin/projections/mailing/rebuild' },
  ];

  it('refuses admin routes without a key (401) or with a wrong one (403), before any upstream is called', async () => {
    const app = await t.start({ adminApiKey: KEY });
    for (const request of admin) {
      const missing = await app.inject(request);
      expect(missing.statusCode, `${request.method} ${request.url}`).toBe(401);
      expect(missing.json()).toMatchObject({ error: 'ADMIN_KEY_REQUIRED' });
      expect(missing.headers['www-authenticate']).toContain('Bearer');
      for (const headers of [{ 'x-api-key': 'wrong' }, { authorization: `Bearer ${KEY}x` }, { 'x-api-key': KEY.slice(0, -1) }]) {
        const wrong = await app.inject({ ...request, headers });
        expect(wrong.statusCode, `${request.method} ${request.url} ${JSON.stringify(headers)}`).toBe(403);
        expect(wrong.json()).toMatchObject({ error: 'ADMIN_KEY_INVALID' });
      }
    }
    expect(t.calls).toHaveLength(0);
  });

  it('admits the right key as x-api-key or as a bearer token', async () => {
    t.stub('catalog', (call) => (call.method === 'POST' ? { status: 201, body: product } : { status: 200, body: { ...product, priceCents: 2 } }));
    t.stub('mailing', () => ({ status: 200, body: { rebuilt: true, position: '5-0' } }));
    const app = await t.start({ adminApiKey: KEY });
    const byHeader = await app.inject({ ...(admin[0] as (typeof admin)[number]), headers: { 'x-api-key': KEY } });
    expect(byHeader.statusCode).toBe(201);
    const byBearer = await app.inject({ ...(admin[1] as (typeof admin)[number]), headers: { authorization: `Bearer ${KEY}` } });
    expect(byBearer.statusCode).toBe(200);
    expect((await app.inject({ ...(admin[2] as (typeof admin)[number]), headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    expect((await app.inject({ ...(admin[4] as (typeof admin)[number]), headers: { 'x-api-key': KEY } })).json()).toEqual({ rebuilt: true, position: '5-0' });
    // A customer's data opens to it too; catalog reads never need it.
    t.stub('accounts', () => ({ status: 200, body: user }));
    expect((await app.inject({ method: 'GET', url: '/api/users/u-1', headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/users/u-1' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/products/p-1' })).statusCode).toBe(200);
  });

  it('leaves admin routes open in open mode (TRIBUTARY_AUTH=open: no key)', async () => {
    t.stub('catalog', () => ({ status: 201, body: product }));
    const app = await t.start({ adminApiKey: null });
    expect((await app.inject(admin[0] as (typeof admin)[number])).statusCode).toBe(201);
  });
});
