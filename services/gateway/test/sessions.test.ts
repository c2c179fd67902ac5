import { describe, expect, it } from 'vitest';
import { cookieFrom, useGateway, user } from './harness.ts';

const t = useGateway();

describe('customer sessions', () => {
  function accountsKnowsAda() {
    t.stub('accounts', (call) =>
      call.path === `/users/by-email/${encodeURIComponent('ada@example.com')}`
        ? { status: 200, body: user }
        : { status: 404, body: { error: 'USER_NOT_FOUND', message: 'no such user' } },
    );
  }

  it('signs in by email, reads the session with its cookie, and signs out', async () => {
    accountsKnowsAda();
    const app = await t.start();
    const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toEqual({ userId: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' });
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^sid=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(t.callsTo('accounts').map((call) => `${call.method} ${call.path}`)).toEqual(['GET /users/by-email/ada%40example.com']);

    const cookie = cookieFrom(login.headers['set-cookie']);
    const id = cookie.slice('sid='.length);
    expect(await t.store.hGetAll(`gateway:session:${id}`)).toMatchObject({ data: JSON.stringify({ userId: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' }) });
    const me = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ userId: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' });

    const logout = await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toContain('sid=;');
    expect(Number(await t.store.sendCommand(['EXISTS', `gateway:session:${id}`]))).toBe(0);
    const after = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: 'NO_SESSION' });
  });

  it('answers 404 for an unknown email and sets no cookie', async () => {
    accountsKnowsAda();
    const app = await t.start();
    const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'nobody@example.com' } });
    expect(login.statusCode).toBe(404);
    expect(login.json()).toMatchObject({ error: 'USER_NOT_FOUND' });
    expect(login.headers['set-cookie']).toBeUndefined();
    expect(await t.store.keys('gateway:session:*')).toEqual([]);
  });

  it('rejects a malformed email with 400 before asking accounts', async () => {
    const app = await t.start();
    for (const payload of [{ email: 'not-an-email' }, { email: 'a@b.c', extra: 1 }, {}]) {
      const login = await app.inject({ method: 'POST', url: '/api/sessions', payload });
      expect(login.statusCode).toBe(400);
      expect(login.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    }
    expect(t.calls).toHaveLength(0);
  });

  it('treats a tampered or unknown cookie as no session', async () => {
    accountsKnowsAda();
    const app = await t.start();
    const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
    const cookie = cookieFrom(login.headers['set-cookie']);
    const tampered = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [tampered, 'sid=../../etc/passwd', `sid=${'x'.repeat(43)}`]) {
      const me = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: forged } });
      expect(me.statusCode).toBe(401);
      expect(me.json()).toMatchObject({ error: 'NO_SESSION' });
    }
  });

  it('signs the cookie when SESSION_COOKIE_SECRET is set, and marks it Secure when asked', async () => {
    accountsKnowsAda();
    const app = await t.start({ session: { ttlSeconds: 60, secureCookie: true, secret: 'test-secret-test-secret' } });
    const login = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
    expect(String(login.headers['set-cookie'])).toContain('Secure');
    expect(String(login.headers['set-cookie'])).toContain('Max-Age=60');
    const cookie = cookieFrom(login.headers['set-cookie']);
    expect((await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode).toBe(200);
    const unsigned = cookie.split('.')[0] as string;
    expect((await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: unsigned } })).statusCode).toBe(401);
  });

  it('limits sign-in attempts per client IP', async () => {
    accountsKnowsAda();
    const app = await t.start({ loginPerMinute: 2 });
    for (let i = 0; i < 2; i++) {
      expect((await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: `x${i}@example.com` } })).statusCode).toBe(404);
    }
    const refused = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' } });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(t.callsTo('accounts')).toHaveLength(2);
    const elsewhere = await app.inject({ method: 'POST', url: '/api/sessions', payload: { email: 'ada@example.com' }, remoteAddress: '10.1.1.1' });
    expect(elsewhere.statusCode).toBe(201);
  });
});
