import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { groupsOf, trimStream } from 'tributary';
import { UserRegistered } from '@tributary/contracts';
import { useMailing } from './harness.ts';
import type { RunningMailing } from '../src/app.ts';

const t = useMailing();

async function recipient(mailing: RunningMailing, userId: string) {
  const reply = await mailing.app.inject({ method: 'GET', url: `/recipients/${userId}` });
  return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
}

describe('the recipients copy', () => {
  it('is built from UserRegistered and applies only the fields a UserProfileChanged carries', async () => {
    const mailing = await t.start();
    const user = await t.register({ name: 'Ada', email: 'ada@example.com', country: 'GB', address: 'London' });
    await t.changeProfile(user.userId, { email: 'ada@analytical.org' });
    await t.changeProfile(user.userId, { country: 'FR' });
    await t.caughtUp(mailing);
    expect(await recipient(mailing, user.userId)).toEqual({
      status: 200,
      body: { userId: user.userId, name: 'Ada', email: 'ada@analytical.org', country: 'FR', address: 'London' },
    });
    await t.changeProfile(user.userId, { address: null, name: 'Ada King' });
    await t.caughtUp(mailing);
    expect((await recipient(mailing, user.userId)).body).toEqual({ userId: user.userId, name: 'Ada King', email: 'ada@analytical.org', country: 'FR', address: null });
  });

  it('answers 404 RECIPIENT_NOT_FOUND for an unknown user and 400 for a malformed id', async () => {
    const mailing = await t.start();
    expect(await recipient(mailing, randomUUID())).toMatchObject({ status: 404, body: { error: 'RECIPIENT_NOT_FOUND' } });
    expect(await recipient(mailing, 'bad%20id')).toMatchObject({ status: 400, body: { error: 'VALIDATION_FAILED' } });
  });

  it('holds back trimming of accounts:events until mailing has applied it', async () => {
    const first = await t.start();
    await t.register();
    await t.caughtUp(first);
    await first.close();
    const later = await t.register({ name: 'Late' });
    const [group] = await groupsOf(t.bus, UserRegistered.stream);
    expect(group?.name).toBe(first.recipients.group);
    expect(await trimStream(t.bus, UserRegistered.stream)).toBe(1);
    const second = await t.start();
    await t.caughtUp(second);
    expect((await recipient(second, later.userId)).body).toMatchObject({ name: 'Late' });
  });
});

describe('propagation (the book’s User -> Mailing example)', () => {
  it('a name changed three times while mailing was down is in the next mail', async () => {
    const first = await t.start();
    const user = await t.register({ name: 'Name 0' });
    await t.caughtUp(first);
    await first.close();

    // While mailing is down: lots of unrelated accounts traffic, then the three renames.
    await t.accounts.publishEnvelopes(
      Array.from({ length: 300 }, (_, i) =>
        t.accounts.envelope(UserRegistered, { userId: `other-${i}`, name: `Other ${i}`, email: `o${i}@example.com`, country: 'DE' }),
      ),
    );
    for (const name of ['Name 1', 'Name 2', 'Name 3']) await t.changeProfile(user.userId, { name });

    // One entry per batch: catching up takes many round trips, and the mail must wait for it.
    const second = await t.start({ projection: { batchSize: 1 } });
    const order = await t.completeOrder(user.userId);
    const [mail] = await t.waitForMails(second, { userId: user.userId }, 1);
    expect(mail).toMatchObject({ orderId: order.data.orderId, to: { name: 'Name 3' } });
    expect(mail?.body).toMatch(/^Dear Name 3,/);
  });
});

describe('POST /projections/recipients/rebuild', () => {
  it('rebuilding from zero gives the same recipients as the incremental copy', async () => {
    const mailing = await t.start({ projection: { batchSize: 4 } });
    const users = [];
    for (let i = 0; i < 8; i++) {
      const user = await t.register({ name: `User ${i}`, address: i % 2 ? null : `Street ${i}` });
      users.push(user);
      if (i % 3 === 0) await t.changeProfile(user.userId, { name: `Renamed ${i}` });
      if (i % 4 === 0) await t.changeProfile(user.userId, { address: null, country: 'NL' });
    }
    await t.caughtUp(mailing);
    const before = await Promise.all(users.map((user) => recipient(mailing, user.userId)));
    expect(before.every((reply) => reply.status === 200)).toBe(true);
    // Damage the copy, as a bug would.
    await t.store.hSet(`mailing:{recipients}:user:${users[1]?.userId}`, 'name', 'corrupted');
    await t.store.del(`mailing:{recipients}:user:${users[2]?.userId}`);

    const reply = await mailing.app.inject({ method: 'POST', url: '/projections/recipients/rebuild' });
    expect(reply.statusCode).toBe(200);
    const tips = await mailing.recipients.tips();
    expect(reply.json()).toEqual({ rebuilt: true, position: tips[UserRegistered.stream] });
    const after = await Promise.all(users.map((user) => recipient(mailing, user.userId)));
    expect(after).toEqual(before);
  });
});
