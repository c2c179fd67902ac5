import { describe, expect, it } from 'vitest';
import type { HttpApp } from 'tributary/http';
import { settingsFromEnv } from '../src/settings.ts';
import { cookieFrom, useGateway, user } from './harness.ts';

const t = useGateway();
const KEY = 'admin-key-for-customer-tests';
const ada = user;
const bob = { ...user, id: 'u-2', name: 'Bob', email: 'bob@example.com' };
const order = (userId: string) => ({ id: 'o-1', userId, status: 'COMPLETED', totalCents: 100, customerName: null, deliveryId: null, items: [], failureReason: null, history: [], createdAt: ada.createdAt });

/** Every stub answers as if the data existed; ordering's order o-1 and package k-1 are Ada's. */
function servicesKnowEveryone() {
  t.stub('accounts', (call) => {
    const byEmail = [ada, bob].find((person) => call.path === `/users/by-email/${encodeURIComponent(person.email)}`);
    if (byEmail) return { status: 200, body: byEmail };
    if (call.path.endsWith('/account')) return { status: 200, body: { userId: 'u-1', availableCents: 1, reservedCents: 0, spentCents: 0 } };
    return { status: 200, body: ada };
  });
  t.stub('basket', (call) => (call.method === 'POST' ? { status: 202, body: { orderId: 'o-2' } } : { status: 200, body: { userId: 'u-1', items: [], totalCents: 0, checkout: null } }));
  t.stub('mailing', () => ({ status: 200, body: { items: [] } }));
  t.stub('ordering', (call) => (call.method === 'POST' ? { status: 202, body: { orderId: 'o-2', status: 'PENDING' } } : { status: 200, body: order('u-1') }));
  t.stub('lending', (call) => (call.method === 'POST' ? { status: 202, body: { requestId: 'r-1' } } : { status: 200, body: { userId: 'u-1', bookIds: [], count: 0 } }));
  t.stub('orderMonitoring', (call) => ({ status: 200, body: call.path.includes('/members/') ? { member: 'u-1', score: 1, rank: 1 } : { board: 'top-spenders', items: [] } }));
}

async function signIn(app: HttpApp, email: string): Promise<string> {
  const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email } });
  expect(login.statusCode).toBe(201);
  return cookieFrom(login.headers['set-cookie']);
}

// Ada's data, every way the API reaches it.
const ADAS: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string; payload?: object }> = [
  { method: 'GET', url: '/api/users/u-1' },
  { method: 'PATCH', url: '/api/users/u-1', payload: { name: 'Mallory' } },
  { method: 'GET', url: '/api/users/u-1/account' },
  { method: 'GET', url: '/api/users/u-1/mails' },
  { method: 'GET', url: '/api/mails?userId=u-1' },
  { method: 'GET', url: '/api/baskets/u-1' },
  { method: 'PUT', url: '/api/baskets/u-1/items/p-1', payload: { quantity: 1 } },
  { method: 'DELETE', url: '/api/baskets/u-1/items/p-1' },
  { method: 'POST', url: '/api/baskets/u-1/checkout' },
  { method: 'POST', url: '/api/orders', payload: { userId: 'u-1', items: [{ productId: 'p-1', quantity: 1 }] } },
  { method: 'GET', url: '/api/orders/o-1' },
  { method: 'POST', url: '/api/lending/requests', payload: { userId: 'u-1', bookIds: ['b-1'] } },
  { method: 'POST', url: '/api/lending/returns', payload: { userId: 'u-1', bookIds: ['b-1'] } },
  { method: 'GET', url: '/api/lending/users/u-1/books' },
  { method: 'GET', url: '/api/leaderboards/top-spenders/members/u-1' },
];
// The operator's alone: admin routes and operator views.
const OPERATORS = [
  '/api/mails',
  '/api/system/services',
  '/api/monitoring/order-failures',
  '/api/monitoring/regions',
  '/api/leaderboards/top-spenders',
  '/api/drones',
  '/api/deliveries/queue',
  '/api/admin/dead-letters?stream=orders',
];

describe('per-customer authorization with an admin key', () => {
  it('an anonymous caller gets 401 on a customer\'s data and on operator views, and no service is asked', async () => {
    servicesKnowEveryone();
    const app = await t.start({ adminApiKey: KEY });
    for (const { method, url, payload } of ADAS) {
      const answer = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(answer.statusCode, `${method} ${url}`).toBe(401);
      expect(answer.json(), `${method} ${url}`).toMatchObject({ error: 'SIGN_IN_REQUIRED' });
    }
    for (const url of OPERATORS) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/admin/dead-letters/replay', payload: { stream: 'orders' } })).statusCode).toBe(401);
    expect(t.calls).toEqual([]);
  });

  it("another customer's session gets 403 and changes nothing; the owner's session and the admin key get 200", async () => {
    servicesKnowEveryone();
    const app = await t.start({ adminApiKey: KEY });
    const bobs = await signIn(app, bob.email);
    const adas = await signIn(app, ada.email);
    t.calls.length = 0;
    for (const { method, url, payload } of ADAS) {
      const answer = await app.inject({ method, url, headers: { cookie: bobs }, ...(payload ? { payload } : {}) });
      expect(answer.statusCode, `${method} ${url}`).toBe(403);
      expect(answer.json(), `${method} ${url}`).toMatchObject({ error: 'NOT_YOUR_DATA' });
    }
    // Only the order's owner lookup was made: nothing was written or read for Bob.
    expect(t.calls.map((call) => `${call.method} ${call.service}${call.path}`)).toEqual(['GET ordering/orders/o-1']);
    for (const { method, url, payload } of ADAS) {
      for (const headers of [{ cookie: adas }, { 'x-api-key': KEY }, { authorization: `Bearer ${KEY}` }]) {
        const answer = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
        expect(answer.statusCode, `${method} ${url} ${Object.keys(headers)[0]}`).toBeLessThan(300);
      }
    }
    // A customer's session opens no operator view; a wrong key is 403 whatever session comes with it.
    for (const url of OPERATORS) expect((await app.inject({ method: 'GET', url, headers: { cookie: adas } })).statusCode, url).toBeGreaterThanOrEqual(400);
    expect((await app.inject({ method: 'GET', url: '/api/mails', headers: { cookie: adas } })).json()).toMatchObject({ error: 'ADMIN_ONLY' });
    expect((await app.inject({ method: 'GET', url: '/api/mails' })).json()).toMatchObject({ error: 'ADMIN_KEY_REQUIRED' });
    expect((await app.inject({ method: 'GET', url: '/api/users/u-1', headers: { cookie: adas, 'x-api-key': 'wrong' } })).statusCode).toBe(403);
  });

  it('an Idempotency-Key answer recorded for the owner is never replayed to someone else', async () => {
    servicesKnowEveryone();
    const app = await t.start({ adminApiKey: KEY });
    const payload = { userId: 'u-1', items: [{ productId: 'p-1', quantity: 1 }] };
    const first = await app.inject({ method: 'POST', url: '/api/orders', payload, headers: { 'x-api-key': KEY, 'idempotency-key': 'k-1' } });
    expect(first.statusCode).toBe(202);
    const replay = await app.inject({ method: 'POST', url: '/api/orders', payload, headers: { 'idempotency-key': 'k-1' } });
    expect(replay.statusCode).toBe(401);
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
  });

  it('catalog reads, best-sellers, sign-up and sign-in stay open', async () => {
    servicesKnowEveryone();
    t.stub('catalog', () => ({ status: 200, body: { items: [], total: 0 } }));
    t.stub('orderMonitoring', () => ({ status: 200, body: { board: 'best-sellers', items: [] } }));
    const app = await t.start({ adminApiKey: KEY });
    expect((await app.inject({ method: 'GET', url: '/api/products' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/leaderboards/best-sellers' })).statusCode).toBe(200);
    const signUp = await app.inject({ method: 'POST', url: '/api/users', payload: { name: 'Cy', email: 'cy@example.com', country: 'GB', balanceCents: 1 } });
    expect(signUp.statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: ada.email } })).statusCode).toBe(201);
  });

  it('in open mode (no key) every route is open, as before keys existed', async () => {
    servicesKnowEveryone();
    const app = await t.start({ adminApiKey: null });
    for (const { method, url, payload } of ADAS) {
      const answer = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(answer.statusCode, `${method} ${url}`).toBeLessThan(300);
    }
  });
});

describe('the gateway\'s auth settings', () => {
  it('refuse to start without an admin key unless open mode is asked for by name', () => {
    expect(() => settingsFromEnv({})).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG', message: expect.stringContaining('TRIBUTARY_AUTH=open') }));
    expect(settingsFromEnv({ ADMIN_API_KEY: 'k' }).adminApiKey).toBe('k');
    expect(settingsFromEnv({ TRIBUTARY_AUTH: 'open' }).adminApiKey).toBeNull();
    expect(() => settingsFromEnv({ TRIBUTARY_AUTH: 'open', ADMIN_API_KEY: 'k' })).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG' }));
    expect(() => settingsFromEnv({ TRIBUTARY_AUTH: 'off' })).toThrow(expect.objectContaining({ code: 'TRIB_INVALID_CONFIG' }));
  });
});
