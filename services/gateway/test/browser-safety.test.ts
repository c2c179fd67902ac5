import { describe, expect, it } from 'vitest';
import type { HttpApp } from 'tributary/http';
import { cookieFrom, useGateway, user } from './harness.ts';

const t = useGateway();

/** Signs Ada in; her `sid` cookie is what another site would make the browser send. */
async function signedIn(app: HttpApp): Promise<string> {
  t.stub('accounts', () => ({ status: 200, body: user }));
  const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
  expect(login.statusCode).toBe(201);
  return cookieFrom(login.headers['set-cookie']);
}

describe('security headers', () => {
  it.each([['the dashboard', '/'], ['an API answer', '/api/products'], ['an error', '/api/no-such-route']])('%s comes with a CSP, X-Frame-Options and nosniff', async (_label, url) => {
    t.stub('catalog', () => ({ status: 200, body: { items: [], total: 0 } }));
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    const csp = String(reply.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    // Plain HTTP by default: HSTS would be meaningless there.
    expect(reply.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('the API explorer', () => {
  it("/docs sends its own policy in place of the dashboard's: Swagger UI's inline styles are allowed there only", async () => {
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url: '/docs/', headers: { accept: 'text/html' } });
    expect(reply.statusCode).toBe(200);
    const csp = String(reply.headers['content-security-policy']);
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(reply.headers['x-frame-options']).toBe('DENY');
  });
});

describe('cross-site request forgery', () => {
  const host = 'shop.example';

  it('a write with the session cookie from another origin is 403 and reaches no service', async () => {
    const app = await t.start();
    const cookie = await signedIn(app);
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { referer: 'https://evil.example/page' }, { origin: `http://${host}:8443` }, { origin: `http://${host}.evil.example` }]) {
      const reply = await app.inject({ method: 'POST', url: '/api/baskets/u-1/checkout', headers: { host, cookie, ...headers } });
      expect(reply.statusCode, JSON.stringify(headers)).toBe(403);
      expect(reply.json()).toMatchObject({ error: 'CROSS_SITE_REQUEST', message: expect.any(String) });
    }
    expect(t.callsTo('basket')).toEqual([]);
  });

  it('the operator\'s sign-in cookie is guarded the same way', async () => {
    const app = await t.start();
    const reply = await app.inject({
      method: 'POST',
      url: '/api/admin/projections/mailing/rebuild',
      headers: { host, cookie: 'tributary_admin=some-token', origin: 'https://evil.example' },
    });
    expect(reply.statusCode).toBe(403);
    expect(reply.json()).toMatchObject({ error: 'CROSS_SITE_REQUEST' });
    expect(t.callsTo('mailing')).toEqual([]);
  });

  it('passes a write from the own origin, one without Origin or Referer (scripts), and one without cookies', async () => {
    t.stub('basket', () => ({ status: 202, body: { orderId: 'o-1' } }));
    const app = await t.start();
    const cookie = await signedIn(app);
    // https: behind a proxy that ends TLS the gateway sees http, and the browser's origin is still its own.
    for (const headers of [{ cookie, origin: `http://${host}` }, { cookie, origin: `https://${host}` }, { cookie, referer: `http://${host}/#/orders` }, { cookie }, { origin: 'https://elsewhere.example' }]) {
      const reply = await app.inject({ method: 'POST', url: '/api/baskets/u-1/checkout', headers: { host, ...headers } });
      expect(reply.statusCode, JSON.stringify(headers)).toBe(202);
    }
    expect(t.callsTo('basket')).toHaveLength(5);
  });

  it('reads are not writes: a GET from another origin with the cookie passes', async () => {
    t.stub('basket', () => ({ status: 200, body: { userId: 'u-1', items: [], totalCents: 0, checkout: null } }));
    const app = await t.start();
    const cookie = await signedIn(app);
    const reply = await app.inject({ method: 'GET', url: '/api/baskets/u-1', headers: { host, cookie, origin: 'https://evil.example' } });
    expect(reply.statusCode).toBe(200);
  });

  it.each([
    ['text/plain', '{"userId":"Salvatore","bookIds":["b1"]}'],
    ['application/x-www-form-urlencoded', 'userId=Salvatore&bookIds=b1'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="userId"\r\n\r\nSalvatore\r\n--x--'],
  ])('a body sent as %s (no preflight needed cross-site) is 415 and reaches no service', async (type, payload) => {
    const app = await t.start();
    const reply = await app.inject({ method: 'POST', url: '/api/lending/requests', headers: { host, 'content-type': type }, payload });
    expect(reply.statusCode).toBe(415);
    expect(reply.json()).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) });
    expect(t.callsTo('lending')).toEqual([]);
  });
});
