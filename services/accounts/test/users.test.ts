import { describe, expect, it } from 'vitest';
import { readEnvelopes, testDatabases, waitFor } from 'tributary/testing';
import { count, useAccounts, waitForEvents, type Harness } from './harness.ts';

const validUser = { name: 'Ada Lovelace', email: 'Ada@Example.com', country: 'GB', balanceCents: 10_000 };

async function createUser(h: Harness, body: Record<string, unknown> = validUser) {
  return h.accounts.app.inject({ method: 'POST', url: '/users', payload: body });
}

describe.each(testDatabases())('accounts HTTP API on $kind', (entry) => {
  const t = useAccounts(entry);

  it('creates a user (email lower-cased), reads it back, shows its account and emits UserRegistered', async () => {
    const h = await t.setup();
    const created = await createUser(h);
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      country: 'GB',
      address: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });

    const read = await h.accounts.app.inject({ method: 'GET', url: `/users/${user.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(user);

    const account = await h.accounts.app.inject({ method: 'GET', url: `/users/${user.id}/account` });
    expect(account.statusCode).toBe(200);
    expect(account.json()).toEqual({ userId: user.id, availableCents: 10_000, reservedCents: 0, spentCents: 0 });

    const [event] = await waitForEvents(h.bus, 1);
    expect(event).toMatchObject({
      type: 'UserRegistered',
      version: 1,
      source: 'accounts',
      data: { userId: user.id, name: 'Ada Lovelace', email: 'ada@example.com', country: 'GB' },
    });
  });

  it('answers 409 EMAIL_TAKEN for a taken email in any case, writing nothing', async () => {
    const h = await t.setup();
    expect((await createUser(h)).statusCode).toBe(201);
    await waitForEvents(h.bus, 1);
    const again = await createUser(h, { ...validUser, name: 'Someone Else', email: 'ADA@example.COM' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: 'EMAIL_TAKEN', message: expect.any(String) });
    expect(await count(h.db, 'SELECT 1 FROM users')).toBe(1);
    // Published right after commit, the rows are deleted just after: the event can be seen first.
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'the outbox emptied' });
    expect(await readEnvelopes(h.bus, 'accounts:events')).toHaveLength(1);
  });

  it('rejects bad input with 4xx {error, message} and writes nothing; unknown users are 404 USER_NOT_FOUND', async () => {
    const h = await t.setup();
    const bodies: unknown[] = [
      {},
      { ...validUser, name: '' },
      { ...validUser, name: 'x'.repeat(201) },
      { ...validUser, name: { first: 'Ada' } },
      { ...validUser, email: 'no-at-sign' },
      { ...validUser, email: `${'a'.repeat(250)}@b.co` },
      { ...validUser, country: 'gb' },
      { ...validUser, country: 'GBR' },
      { ...validUser, balanceCents: -1 },
      { ...validUser, balanceCents: 1.5 },
      { ...validUser, balanceCents: 'lots' },
      { ...validUser, balanceCents: 1e13 },
      { ...validUser, balanceCents: [1, 2] },
      { ...validUser, isAdmin: true },
      [validUser],
    ];
    for (const payload of bodies) {
      const response = await h.accounts.app.inject({ method: 'POST', url: '/users', payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toEqual({ error: 'VALIDATION_FAILED', message: expect.any(String) });
    }
    const badJson = await h.accounts.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{"name": "Ada",' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error).toBe('INVALID_JSON');
    const huge = await h.accounts.app.inject({ method: 'POST', url: '/users', payload: { ...validUser, name: 'x'.repeat(2_000_000) } });
    expect(huge.statusCode).toBe(413);
    // Every body is JSON: text/plain (which another origin may POST without a preflight) is refused like any other type.
    const text = await h.accounts.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    const xml = await h.accounts.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/xml' }, payload: '<user/>' });
    expect(xml.statusCode).toBe(415);

    // Unknown users are 404, malformed ids 400.
    for (const url of ['/users/00000000-0000-4000-8000-000000000000', '/users/00000000-0000-4000-8000-000000000000/account']) {
      const response = await h.accounts.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'USER_NOT_FOUND', message: expect.any(String) });
    }
    const malformed = await h.accounts.app.inject({ method: 'GET', url: `/users/${'x'.repeat(65)}` });
    expect(malformed.statusCode).toBe(400);
    const weird = await h.accounts.app.inject({ method: 'GET', url: '/users/%27%3B%20DROP%20TABLE%20users' });
    expect(weird.statusCode).toBe(400);

    expect(await count(h.db, 'SELECT 1 FROM users')).toBe(0);
    // Published right after commit, the rows are deleted just after: the event can be seen first.
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'the outbox emptied' });
    expect(await readEnvelopes(h.bus, 'accounts:events')).toHaveLength(0);
  });

  it('PATCH updates the given fields only, clears the address with null, and rejects bad patches', async () => {
    const h = await t.setup();
    const user = (await createUser(h)).json();
    const other = (await createUser(h, { ...validUser, email: 'grace@example.com' })).json();
    const patch = (payload: unknown, id = user.id) => h.accounts.app.inject({ method: 'PATCH', url: `/users/${id}`, payload: payload as object });

    const moved = await patch({ address: '1 Analytical Way, London', country: 'FR' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toEqual({ ...user, address: '1 Analytical Way, London', country: 'FR' });

    const renamed = await patch({ name: 'Countess of Lovelace', email: 'Countess@Example.com' });
    expect(renamed.json()).toEqual({ ...user, name: 'Countess of Lovelace', email: 'countess@example.com', address: '1 Analytical Way, London', country: 'FR' });
    // Keeping one's own email is not a conflict.
    expect((await patch({ email: 'countess@example.com' })).statusCode).toBe(200);

    const cleared = await patch({ address: null });
    expect(cleared.json().address).toBeNull();

    const taken = await patch({ email: 'GRACE@example.com' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toBe('EMAIL_TAKEN');

    const missing = await patch({ name: 'Nobody' }, '00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('USER_NOT_FOUND');

    for (const bad of [{}, { address: 'x'.repeat(501) }, { country: 'fr' }, { email: 'nope' }, { name: '' }, { balanceCents: 5 }, { name: { first: 'Ada' } }]) {
      const response = await patch(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
    }
    const read = (await h.accounts.app.inject({ method: 'GET', url: `/users/${user.id}` })).json();
    expect(read).toEqual({ ...user, name: 'Countess of Lovelace', email: 'countess@example.com', address: null, country: 'FR' });
    const otherRead = (await h.accounts.app.inject({ method: 'GET', url: `/users/${other.id}` })).json();
    expect(otherRead).toEqual(other);
    // The three PATCHes that changed something are announced; the no-op and the refused ones are not.
    await waitForEvents(h.bus, 5);
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'outbox relayed' });
    expect((await readEnvelopes(h.bus, 'accounts:events')).map((event) => event.type)).toEqual([
      'UserRegistered', 'UserRegistered', 'UserProfileChanged', 'UserProfileChanged', 'UserProfileChanged',
    ]);
  });
});
