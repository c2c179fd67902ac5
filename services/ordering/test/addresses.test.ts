import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PaymentReserved, UserProfileChanged, UserRegistered } from '@tributary/contracts';
import type { Envelope } from 'tributary';
import { testDatabases, waitFor } from 'tributary/testing';
import {
  findCustomerAddresses,
  findCustomerName,
  parseStreamPosition,
  saveCustomerAddress,
  saveCustomerName,
} from '../src/store/customers-store.ts';
import type { SqlExecutor } from 'tributary/sql';
import { newOrder, useOrdering, type Harness } from './harness.ts';

/** Ordering's copy of one customer's address; null while unknown or when the user has none. */
const addressOf = async (db: SqlExecutor, userId: string) => (await findCustomerAddresses(db, [userId])).get(userId) ?? null;

/** Places an order for `userId`, pays it and returns its OrderAwaitingShipment. */
async function paidOrder(h: Harness, userId: string): Promise<Envelope> {
  const orderId = String((await h.post(newOrder({ userId }))).body.orderId);
  await h.payments.publish(PaymentReserved, { orderId, userId, amountCents: 3_000, country: 'GB' });
  return waitFor(
    async () => (await h.orderingEvents()).find((event) => event.type === 'OrderAwaitingShipment' && (event.data as { orderId: string }).orderId === orderId) ?? null,
    { description: `OrderAwaitingShipment for ${orderId}` },
  );
}

describe.each(testDatabases())('ordering\'s copy of customer addresses ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('follows registration and address changes (null included); changes without an address leave it alone', async () => {
    const h = t.current;
    const userId = randomUUID();
    await h.accounts.publish(UserRegistered, { userId, name: 'Ada', email: 'ada@example.com', country: 'GB', address: '1 Lovelace Row, London' });
    await h.drained('accounts:events');
    expect(await addressOf(h.db, userId)).toBe('1 Lovelace Row, London');

    await h.accounts.publish(UserProfileChanged, { userId, changes: { address: '12 Analytical Way, London' } });
    await h.accounts.publish(UserProfileChanged, { userId, changes: { name: 'Ada King', email: 'ada@king.example' } });
    await h.drained('accounts:events');
    expect(await addressOf(h.db, userId)).toBe('12 Analytical Way, London');
    expect(await findCustomerName(h.db, userId)).toBe('Ada King');

    await h.accounts.publish(UserProfileChanged, { userId, changes: { address: null } });
    await h.drained('accounts:events');
    expect(await addressOf(h.db, userId)).toBeNull();
    expect(await findCustomerName(h.db, userId)).toBe('Ada King');

    // A registration written before addresses existed leaves the address unknown, the name known.
    const old = randomUUID();
    await h.accounts.publish(UserRegistered, { userId: old, name: 'Charles', email: 'cb@example.com', country: 'GB' });
    await h.drained('accounts:events');
    expect(await findCustomerName(h.db, old)).toBe('Charles');
    expect(await addressOf(h.db, old)).toBeNull();
  });

  it('OrderAwaitingShipment carries the address known when the order was paid, null when unknown', async () => {
    const h = t.current;
    const userId = randomUUID();
    await h.accounts.publish(UserRegistered, { userId, name: 'Ada', email: 'ada@example.com', country: 'GB', address: 'Old Street 1' });
    await h.accounts.publish(UserProfileChanged, { userId, changes: { address: 'New Street 2' } });
    await h.drained('accounts:events');
    const first = await paidOrder(h, userId);
    expect(first.data).toMatchObject({ userId, country: 'GB', address: 'New Street 2' });

    await h.accounts.publish(UserProfileChanged, { userId, changes: { address: 'Third Street 3' } });
    await h.drained('accounts:events');
    expect((await paidOrder(h, userId)).data).toMatchObject({ address: 'Third Street 3' });
    // The first order's event is already written and keeps the address of its time.
    expect((await h.orderingEvents()).find((event) => event.id === first.id)?.data).toMatchObject({ address: 'New Street 2' });

    const stranger = await paidOrder(h, randomUUID());
    expect(stranger.data).toHaveProperty('address', null);
  });

  it('per field, a later stream position wins; a row started by one field still accepts the other', async () => {
    const h = t.current;
    const userId = randomUUID();
    const at = parseStreamPosition;
    await h.db.transaction(async (tx) => {
      expect(await saveCustomerAddress(tx, userId, 'B', at('1700000000000-5'))).toBe(true);
      expect(await saveCustomerAddress(tx, userId, 'A (older)', at('1700000000000-4'))).toBe(false);
      expect(await saveCustomerAddress(tx, userId, null, at('1700000000001-0'))).toBe(true);
      expect(await saveCustomerAddress(tx, userId, 'older than null', at('1700000000000-9'))).toBe(false);
      // The row exists (address only): its name was never heard of, so any position writes it.
      expect(await saveCustomerName(tx, userId, 'Named late', at('1-0'))).toBe(true);
      expect(await saveCustomerName(tx, userId, 'Older', at('0-5'))).toBe(false);
    });
    expect(await addressOf(h.db, userId)).toBeNull();
    expect(await findCustomerName(h.db, userId)).toBe('Named late');

    // Through the consumer: an older address event redelivered after a newer one changes nothing.
    const other = randomUUID();
    const registered = h.accounts.envelope(UserRegistered, { userId: other, name: 'N', email: 'n@example.com', country: 'GB', address: 'first' });
    const moved = h.accounts.envelope(UserProfileChanged, { userId: other, changes: { address: 'second' } });
    await h.accounts.publishEnvelopes([registered, moved, registered, moved]);
    await h.drained('accounts:events');
    expect(await addressOf(h.db, other)).toBe('second');
  });
});
