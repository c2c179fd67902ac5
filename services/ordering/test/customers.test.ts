import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UserProfileChanged, UserRegistered } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { findCustomerName, parseStreamPosition, saveCustomerName } from '../src/store/customers-store.ts';
import { newOrder, useOrdering } from './harness.ts';

describe.each(testDatabases())('ordering\'s copy of customer names ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('GET /orders/:id shows customerName: null while unknown, then follows registration and three name changes', async () => {
    const h = t.current;
    const userId = randomUUID();
    const orderId = String((await h.post(newOrder({ userId }))).body.orderId);
    expect((await h.get(`/orders/${orderId}`)).body.customerName).toBeNull();

    await h.accounts.publish(UserRegistered, { userId, name: 'Ada', email: 'ada@example.com', country: 'GB' });
    await waitFor(async () => (await h.get(`/orders/${orderId}`)).body.customerName === 'Ada', { description: 'registered name' });

    const names = ['Ada Lovelace', 'Countess of Lovelace', 'Augusta Ada King'];
    for (const name of names) {
      await h.accounts.publish(UserProfileChanged, { userId, changes: { name } });
      // A change without a name leaves the copy alone.
      await h.accounts.publish(UserProfileChanged, { userId, changes: { email: `${randomUUID()}@example.com`, address: null } });
      await waitFor(async () => (await h.get(`/orders/${orderId}`)).body.customerName === name, { description: `name ${name}` });
    }
    await h.drained('accounts:events');
    expect((await h.get(`/orders/${orderId}`)).body.customerName).toBe('Augusta Ada King');
  });

  it('redelivered events change the name once; an older event handled late never overwrites a newer name', async () => {
    const h = t.current;
    const userId = randomUUID();
    const registered = h.accounts.envelope(UserRegistered, { userId, name: 'First', email: 'f@example.com', country: 'GB' });
    const renamed = h.accounts.envelope(UserProfileChanged, { userId, changes: { name: 'Second' } });
    await h.accounts.publishEnvelopes([registered, renamed, registered, renamed]);
    await h.drained('accounts:events');
    expect(await findCustomerName(h.db, userId)).toBe('Second');
    const handled = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tributary_handled_events WHERE event_id = ANY($1)',
      [[registered.id, renamed.id]],
    );
    expect(handled.rows[0]?.n).toBe(2);

    // The store's rule: the stream position decides, not the order of handling.
    const other = randomUUID();
    await h.db.transaction(async (tx) => {
      expect(await saveCustomerName(tx, other, 'Newer', parseStreamPosition('1700000000000-5'))).toBe(true);
      expect(await saveCustomerName(tx, other, 'Older', parseStreamPosition('1700000000000-4'))).toBe(false);
      expect(await saveCustomerName(tx, other, 'Older still', parseStreamPosition('999-0'))).toBe(false);
      expect(await saveCustomerName(tx, other, 'Newest', parseStreamPosition('1700000000001-0'))).toBe(true);
    });
    expect(await findCustomerName(h.db, other)).toBe('Newest');
    expect(() => parseStreamPosition('not-an-id')).toThrow();
  });
});
