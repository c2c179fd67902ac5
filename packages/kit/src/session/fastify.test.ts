import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { connectRedis, type RedisClient } from '../index.ts';
import { HttpError } from '../http/errors.ts';
import { createSessionPlugin, type SessionCookieOptions } from './fastify.ts';
import { createSessionStore } from './store.ts';
import { useRedis } from '../testing/vitest.ts';

const Customer = Type.Object({ userId: Type.String() }, { additionalProperties: false });

function cookieOf(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) throw new Error('no Set-Cookie header');
  return first.split(';')[0] as string;
}

describe('session plugin (real Redis)', () => {
  const env = useRedis({ flush: true });
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function appWith(cookie: SessionCookieOptions = {}, client: RedisClient = env.redis) {
    const store = createSessionStore({ redis: client, prefix: 'test:web', schema: Customer, ttlSeconds: 900 });
    const sessions = createSessionPlugin({ store, cookie });
    const app = Fastify();
    app.setErrorHandler((error, _request, reply) =>
      error instanceof HttpError ? reply.code(error.statusCode).send({ error: error.code, message: error.message }) : reply.send(error),
    );
    await app.register(sessions.plugin);
    // In a child context: the decorator and hook must still reach it.
    await app.register(async (routes) => {
      routes.post<{ Body: { userId: string } }>('/login', async (request, reply) => {
        const session = await sessions.start(request, reply, { userId: request.body.userId });
        return { id: session.id };
      });
      routes.get('/me', async (request, reply) => {
        const session = sessions.current(request);
        if (!session) return reply.code(401).send({ error: 'NO_SESSION', message: 'sign in first' });
        return { userId: session.data.userId, raw: request.session?.id === session.id };
      });
      routes.post('/logout', async (request, reply) => {
        await sessions.end(request, reply);
        return reply.code(204).send();
      });
    });
    await app.ready();
    apps.push(app);
    return app;
  }

  it('signs in with an HttpOnly, SameSite=Lax, Secure cookie and reads the session back', async () => {
    const app = await appWith();
    const login = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    expect(login.statusCode).toBe(200);
    const header = String(login.headers['set-cookie']);
    expect(header).toMatch(/^sid=[A-Za-z0-9_-]{43};/);
    expect(header).toContain('HttpOnly');
    expect(header).toContain('SameSite=Lax');
    expect(header).toContain('Secure');
    expect(header).toContain('Max-Age=900');
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: cookieOf(login.headers['set-cookie']) } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ userId: 'u1', raw: true });
    // Each use renews the cookie's Max-Age along with the server-side expiry.
    expect(String(me.headers['set-cookie'])).toContain('Max-Age=900');
    expect((await app.inject({ method: 'GET', url: '/me' })).statusCode).toBe(401);
  });

  it('omits Secure when told to (plain-HTTP development)', async () => {
    const app = await appWith({ secure: false });
    const login = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    expect(String(login.headers['set-cookie'])).not.toContain('Secure');
  });

  it('treats a tampered or unknown cookie as no session, not as an error', async () => {
    const app = await appWith();
    const login = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    const cookie = cookieOf(login.headers['set-cookie']);
    const last = cookie.at(-1) === 'A' ? 'B' : 'A';
    for (const forged of [`${cookie.slice(0, -1)}${last}`, 'sid=nonsense', `sid=${'A'.repeat(43)}`, 'sid=', 'sid=%ZZ', 'other=1']) {
      const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: forged } });
      expect(me.statusCode, forged).toBe(401);
    }
  });

  it('rejects a cookie whose signature does not match when signing is on', async () => {
    const app = await appWith({ secret: 'a-long-random-secret-for-tests-only' });
    const login = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    const cookie = cookieOf(login.headers['set-cookie']);
    const id = (login.json() as { id: string }).id;
    expect(cookie.startsWith(`sid=${id}.`)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode).toBe(200);
    // The real, live id without its signature, or with another's: no session.
    expect((await app.inject({ method: 'GET', url: '/me', headers: { cookie: `sid=${id}` } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/me', headers: { cookie: `sid=${id}.AAAA` } })).statusCode).toBe(401);
  });

  it('signs out: the session is destroyed and the cookie cleared', async () => {
    const app = await appWith();
    const login = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    const cookie = cookieOf(login.headers['set-cookie']);
    const id = (login.json() as { id: string }).id;
    const logout = await app.inject({ method: 'POST', url: '/logout', headers: { cookie } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(Number(await env.redis.sendCommand(['EXISTS', `test:web:${id}`]))).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('gives a fresh id on each sign-in and destroys the previous session (no fixation)', async () => {
    const app = await appWith();
    const first = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u1' } });
    const cookie = cookieOf(first.headers['set-cookie']);
    const second = await app.inject({ method: 'POST', url: '/login', payload: { userId: 'u2' }, headers: { cookie } });
    expect((second.json() as { id: string }).id).not.toBe((first.json() as { id: string }).id);
    expect((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode).toBe(401);
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: cookieOf(second.headers['set-cookie']) } });
    expect(me.json()).toMatchObject({ userId: 'u2' });
  });

  it('answers 503 SESSION_STORE_UNAVAILABLE when the store cannot be reached', async () => {
    const broken = await connectRedis(env.server.url);
    await broken.close();
    const app = await appWith({}, broken);
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: `sid=${'A'.repeat(43)}` } });
    expect(me.statusCode).toBe(503);
    expect(me.json()).toMatchObject({ error: 'SESSION_STORE_UNAVAILABLE' });
    // Without a cookie the store is not needed at all.
    expect((await app.inject({ method: 'GET', url: '/me' })).statusCode).toBe(401);
  });
});
