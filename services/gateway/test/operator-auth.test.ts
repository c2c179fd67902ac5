import { describe, expect, it } from 'vitest';
import { cookieFrom, useGateway } from './harness.ts';

const t = useGateway();
const KEY = 'operator-key-3b9d';

// Every operator view shows event data (names, addresses): with a key set, none is open.
const VIEWS = ['/api/system/services', '/api/system/streams', '/api/lending/recent', '/api/traces/0af7651916cd43dd8448eb211c80319c'];

describe('operator views with ADMIN_API_KEY set', () => {
  it('answer 401 without the key, 403 with a wrong one, and serve it with the key', async () => {
    const app = await t.start({ adminApiKey: KEY });
    for (const url of VIEWS) {
      const missing = await app.inject({ method: 'GET', url });
      expect(missing.statusCode, url).toBe(401);
      expect(missing.json()).toMatchObject({ error: 'ADMIN_KEY_REQUIRED' });
      expect((await app.inject({ method: 'GET', url, headers: { 'x-api-key': 'wrong' } })).statusCode, url).toBe(403);
      expect((await app.inject({ method: 'GET', url, headers: { 'x-api-key': KEY } })).statusCode, url).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/api/events/live' })).statusCode).toBe(401);
  });

  it('a sign-in with the key sets an httpOnly cookie that opens the views, the live feed included, until sign-out', async () => {
    const app = await t.start({ adminApiKey: KEY });
    expect((await app.inject({ method: 'GET', url: '/api/admin/session' })).json()).toEqual({ adminKeyRequired: true, signedIn: false });
    const wrong = await app.inject({ method: 'POST', url: '/api/admin/session', payload: { apiKey: 'nope' } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const signIn = await app.inject({ method: 'POST', url: '/api/admin/session', payload: { apiKey: KEY } });
    expect(signIn.statusCode).toBe(200);
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/^tributary_admin=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(KEY);
    const cookie = cookieFrom(signIn.headers['set-cookie']);

    expect((await app.inject({ method: 'GET', url: '/api/admin/session', headers: { cookie } })).json()).toEqual({ adminKeyRequired: true, signedIn: true });
    for (const url of VIEWS) expect((await app.inject({ method: 'GET', url, headers: { cookie } })).statusCode, url).toBe(200);
    // The live feed over a real socket, as a browser's EventSource sends it: cookie, no header.
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const live = await fetch(`${base}/api/events/live`, { headers: { cookie }, signal: controller.signal });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    // A forged or stale cookie opens nothing.
    expect((await app.inject({ method: 'GET', url: VIEWS[0] as string, headers: { cookie: 'tributary_admin=forged' } })).statusCode).toBe(401);

    const signOut = await app.inject({ method: 'DELETE', url: '/api/admin/session', headers: { cookie } });
    expect(signOut.json()).toEqual({ adminKeyRequired: true, signedIn: false });
    expect((await app.inject({ method: 'GET', url: VIEWS[0] as string, headers: { cookie } })).statusCode).toBe(401);
  });

  it('a new admin key ends every sign-in made with the old one', async () => {
    const before = await t.start({ adminApiKey: KEY });
    const cookie = cookieFrom((await before.inject({ method: 'POST', url: '/api/admin/session', payload: { apiKey: KEY } })).headers['set-cookie']);
    expect((await before.inject({ method: 'GET', url: VIEWS[0] as string, headers: { cookie } })).statusCode).toBe(200);
    // The same store Redis, the gateway restarted with a rotated key.
    const after = await t.start({ adminApiKey: 'rotated-operator-key' });
    expect((await after.inject({ method: 'GET', url: VIEWS[0] as string, headers: { cookie } })).statusCode).toBe(401);
  });

  it('in open mode (TRIBUTARY_AUTH=open, no key) everything is open and sign-in is a no-op', async () => {
    const app = await t.start({ adminApiKey: null });
    for (const url of VIEWS) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    const signIn = await app.inject({ method: 'POST', url: '/api/admin/session', payload: { apiKey: 'anything' } });
    expect(signIn.json()).toEqual({ adminKeyRequired: false, signedIn: true });
    expect(signIn.headers['set-cookie']).toBeUndefined();
  });
});
