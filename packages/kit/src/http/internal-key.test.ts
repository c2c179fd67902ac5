import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';

function appWith(internalKey: string | null) {
  const app = createHttpApp({ service: 'keyed', internalKey });
  app.get('/things/:id', async () => ({ ok: true }));
  return app;
}

describe("a service's internal key", () => {
  it('refuses a request without it (401) or with a wrong one (403), with an {error, message} body', async () => {
    const app = appWith('internal-secret');
    const missing = await app.inject({ method: 'GET', url: '/things/1' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ error: 'INTERNAL_KEY_REQUIRED', message: expect.any(String) });
    const wrong = await app.inject({ method: 'GET', url: '/things/1', headers: { 'x-internal-key': 'guess' } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ error: 'INTERNAL_KEY_INVALID' });
    expect((await app.inject({ method: 'GET', url: '/traces' })).statusCode).toBe(401);
    // An unknown route is refused too: no probing for what exists.
    expect((await app.inject({ method: 'GET', url: '/nothing-here' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/things/1', headers: { 'x-internal-key': 'internal-secret' } })).json()).toEqual({ ok: true });
  });

  it('leaves /healthz, /readyz and /metrics open for supervisors and scrapers', async () => {
    const app = appWith('internal-secret');
    for (const url of ['/healthz', '/readyz', '/metrics', '/healthz?verbose=1']) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
  });

  it('is off without a key (a service in its own unit tests) and for the gateway (null)', async () => {
    const app = appWith(null);
    expect((await app.inject({ method: 'GET', url: '/things/1' })).statusCode).toBe(200);
  });
});
