import { describe, expect, it } from 'vitest';
import type { Envelope } from 'tributary';
import { readEnvelopes, testDatabases, waitFor } from 'tributary/testing';
import { count, useAccounts, type Harness } from './harness.ts';

const ada = { name: 'Ada Lovelace', email: 'Ada@Example.com', country: 'GB', balanceCents: 10_000 };

type UserJson = { id: string; name: string; email: string; address: string | null; country: string; createdAt: string };

async function createUser(h: Harness, body: Record<string, unknown> = ada): Promise<UserJson> {
  const reply = await h.accounts.app.inject({ method: 'POST', url: '/users', payload: body });
  expect(reply.statusCode).toBe(201);
  return reply.json();
}

function patch(h: Harness, id: string, payload?: unknown, app = h.accounts.app) {
  return app.inject({ method: 'PATCH', url: `/users/${id}`, ...(payload === undefined ? {} : { payload: payload as object }) });
}

/** Every event accounts published, once the outbox is empty (so nothing is still on its way). */
/**
 * Every event once, by id: with two instances, one's relay may publish a row
 * the other is still publishing itself (it looked abandoned under load), a
 * second copy under the same id that consumers drop. A doubled effect would
 * be a new id, and still counted.
 */
async function settledEvents(h: Harness): Promise<Envelope[]> {
  await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { timeoutMs: 20_000, description: 'outbox relayed' });
  const seen = new Set<string>();
  return (await readEnvelopes(h.bus, 'accounts:events')).filter((event) => !seen.has(event.id) && seen.add(event.id));
}

const profileChanges = (events: Envelope[]) =>
  events.filter((event) => event.type === 'UserProfileChanged').map((event) => event.data as { userId: string; changes: Record<string, unknown> });

describe.each(testDatabases())('accounts profile on $kind', (entry) => {
  const t = useAccounts(entry);

  it('POST /users takes an optional address; the user JSON and UserRegistered carry it when present', async () => {
    const h = await t.setup();
    const withAddress = await createUser(h, { ...ada, address: '12 St James\'s Square, London' });
    expect(withAddress.address).toBe('12 St James\'s Square, London');
    const without = await createUser(h, { ...ada, email: 'charles@example.com' });
    expect(without.address).toBeNull();
    const explicitNull = await createUser(h, { ...ada, email: 'mary@example.com', address: null });
    expect(explicitNull.address).toBeNull();
    expect((await h.accounts.app.inject({ method: 'GET', url: `/users/${withAddress.id}` })).json()).toEqual(withAddress);

    const registered = (await settledEvents(h)).map((event) => event.data as Record<string, unknown>);
    expect(registered).toEqual([
      { userId: withAddress.id, name: ada.name, email: 'ada@example.com', country: 'GB', address: '12 St James\'s Square, London' },
      { userId: without.id, name: ada.name, email: 'charles@example.com', country: 'GB' },
      { userId: explicitNull.id, name: ada.name, email: 'mary@example.com', country: 'GB' },
    ]);
    for (const bad of [{ ...ada, email: 'x@example.com', address: 'x'.repeat(501) }, { ...ada, email: 'y@example.com', address: 42 }]) {
      expect((await h.accounts.app.inject({ method: 'POST', url: '/users', payload: bad })).statusCode).toBe(400);
    }
  });

  it('PATCH publishes UserProfileChanged with only the fields that really changed; a no-op is 200 with no event', async () => {
    const h = await t.setup();
    const user = await createUser(h);

    const moved = await patch(h, user.id, { name: ada.name, country: 'FR', address: '1 Analytical Way' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toEqual({ ...user, country: 'FR', address: '1 Analytical Way' });

    // Nothing differs (the email only in case): 200, the same user, nothing written or announced.
    const same = await patch(h, user.id, { name: ada.name, email: 'ADA@example.com', country: 'FR', address: '1 Analytical Way' });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toEqual(moved.json());

    expect((await patch(h, user.id, { email: 'Countess@Example.com', address: null })).json()).toMatchObject({ email: 'countess@example.com', address: null });

    expect(profileChanges(await settledEvents(h))).toEqual([
      { userId: user.id, changes: { country: 'FR', address: '1 Analytical Way' } },
      { userId: user.id, changes: { email: 'countess@example.com', address: null } },
    ]);
  });

  it('409 EMAIL_TAKEN whatever the case; 404 USER_NOT_FOUND; 400 for an empty, missing or ill-typed body; none of them writes', async () => {
    const h = await t.setup();
    const user = await createUser(h);
    const grace = await createUser(h, { ...ada, name: 'Grace Hopper', email: 'grace@example.com' });

    const taken = await patch(h, user.id, { name: 'Someone', email: 'GRACE@Example.com' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toEqual({ error: 'EMAIL_TAKEN', message: expect.any(String) });

    const missing = await patch(h, '00000000-0000-4000-8000-000000000000', { name: 'Nobody' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'USER_NOT_FOUND', message: expect.any(String) });

    const bad: unknown[] = [
      {}, [], { name: 1 }, { name: '' }, { email: 'not-an-email' }, { email: null }, { country: 'gb' }, { country: 44 },
      { address: 5 }, { address: ['a'] }, { address: 'x'.repeat(501) }, { name: null }, { balanceCents: 1 }, { id: 'other' },
    ];
    for (const payload of bad) {
      const reply = await patch(h, user.id, payload);
      expect(reply.statusCode, JSON.stringify(payload)).toBe(400);
      expect(reply.json()).toEqual({ error: 'VALIDATION_FAILED', message: expect.any(String) });
    }
    expect((await patch(h, user.id)).statusCode).toBe(400);
    const nullBody = await h.accounts.app.inject({ method: 'PATCH', url: `/users/${user.id}`, headers: { 'content-type': 'application/json' }, payload: 'null' });
    expect(nullBody.statusCode).toBe(400);
    const broken = await h.accounts.app.inject({ method: 'PATCH', url: `/users/${user.id}`, headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(broken.statusCode).toBe(400);
    expect((await patch(h, 'bad%20id', { name: 'X' })).statusCode).toBe(400);

    expect((await h.accounts.app.inject({ method: 'GET', url: `/users/${user.id}` })).json()).toEqual(user);
    expect((await h.accounts.app.inject({ method: 'GET', url: `/users/${grace.id}` })).json()).toEqual(grace);
    expect(profileChanges(await settledEvents(h))).toEqual([]);
  });

  it('GET /users/by-email/:email finds a user whatever the case; 404 USER_NOT_FOUND; 400 for a malformed address', async () => {
    const h = await t.setup();
    const user = await createUser(h);
    for (const email of ['ada@example.com', 'ADA@EXAMPLE.COM', 'Ada@Example.com']) {
      const reply = await h.accounts.app.inject({ method: 'GET', url: `/users/by-email/${encodeURIComponent(email)}` });
      expect(reply.statusCode, email).toBe(200);
      expect(reply.json()).toEqual(user);
    }
    const unknown = await h.accounts.app.inject({ method: 'GET', url: '/users/by-email/nobody%40example.com' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'USER_NOT_FOUND', message: expect.any(String) });
    expect((await h.accounts.app.inject({ method: 'GET', url: '/users/by-email/no-at-sign' })).statusCode).toBe(400);
    // After an email change the old address finds nobody and the new one finds the user.
    await patch(h, user.id, { email: 'countess@example.com' });
    expect((await h.accounts.app.inject({ method: 'GET', url: '/users/by-email/ada%40example.com' })).statusCode).toBe(404);
    expect((await h.accounts.app.inject({ method: 'GET', url: '/users/by-email/Countess%40example.com' })).json()).toMatchObject({ id: user.id });
  });

  it('concurrent PATCHes of one user, through two instances: a consistent final row and one event per real change', async () => {
    const h = await t.setup();
    // PGlite is one process's database: the second instance shares it; a server gets its own pool.
    const second = await h.startInstance(entry.kind === 'postgres' ? await h.openDatabase() : h.db);
    const user = await createUser(h);
    // Few distinct values, so PATCHes often find a value already there; the
    // email ones always do (nobody changes it), and must stay silent.
    const patches: Array<Record<string, string | null>> = [
      ...Array.from({ length: 20 }, (_, i) => ({
        name: `Name ${i % 3}`,
        ...(i % 4 === 0 ? { address: i % 8 === 0 ? `Street ${i % 3}` : null } : {}),
        ...(i % 5 === 0 ? { country: i % 10 === 0 ? 'FR' : 'GB' } : {}),
      })),
      ...Array.from({ length: 4 }, () => ({ email: 'ADA@example.COM' })),
    ];
    const replies = await Promise.all(patches.map((body, i) => patch(h, user.id, body, i % 2 === 0 ? h.accounts.app : second.app)));
    expect(new Set(replies.map((reply) => reply.statusCode))).toEqual(new Set([200]));

    const final = (await h.accounts.app.inject({ method: 'GET', url: `/users/${user.id}` })).json() as UserJson;
    const changes = profileChanges(await settledEvents(h)).map((event) => event.changes);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.length).toBeLessThanOrEqual(20);

    // Replaying the events over the registered user gives the final row, and every event changed each field it names.
    let state: Record<string, unknown> = { ...user };
    const states = [JSON.stringify(state)];
    for (const change of changes) {
      for (const [field, value] of Object.entries(change)) expect(state[field], `${field} really changed`).not.toEqual(value);
      state = { ...state, ...change };
      states.push(JSON.stringify(state));
    }
    expect(state).toEqual(final);
    // Each PATCH answered a row that existed at some point of that history, with its own fields applied.
    patches.forEach((body, i) => {
      const answered = replies[i]?.json() as UserJson;
      expect(answered).toMatchObject({ ...body, ...(body.email ? { email: body.email.toLowerCase() } : {}) });
      expect(states).toContain(JSON.stringify(answered));
    });
  });
});
