import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProductCreated, UserRegistered } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { countRows } from '../src/store/orders-store.ts';
import { useOrdering, type Harness } from './harness.ts';

/** A user and two products ordering has copies of (the set-based path), and the owners' stand-in knows nobody else. */
async function knownShop(h: Harness) {
  const userId = randomUUID();
  const products = [randomUUID(), randomUUID()];
  await h.accounts.publish(UserRegistered, { userId, name: 'Ada', email: `${userId}@example.com`, country: 'GB' });
  for (const [i, productId] of products.entries()) {
    await h.catalog.publish(ProductCreated, { productId, sku: `SKU-${i}-${productId}`, name: 'Haggis', priceCents: 1_000 * (i + 1), stock: 5, bannedCountries: [] });
  }
  await h.drained('accounts:events');
  await h.drained('catalog:events');
  h.owners.users = new Set();
  return { userId, products };
}

describe.each(testDatabases())('POST /orders placed together ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('a burst of concurrent requests gets, one by one, the answers each would get alone', async () => {
    const h = t.current;
    const { userId, products } = await knownShop(h);
    const [a, b] = products as [string, string];
    const plain = (productId: string, quantity = 1) => ({ userId, items: [{ productId, quantity }] });
    const burst: Array<[unknown, string | undefined]> = [
      ...Array.from({ length: 20 }, (_, i): [unknown, undefined] => [plain(i % 2 ? a : b, i + 1), undefined]),
      // One key four times with the same body: one order, four answers naming it.
      ...Array.from({ length: 4 }, (): [unknown, string] => [plain(a, 3), 'k-same']),
      // One key with two bodies: the first in the burst wins, the other is told the key is taken.
      [plain(a, 1), 'k-contested'],
      [plain(b, 1), 'k-contested'],
      [{ userId, items: [{ productId: a, quantity: 1 }, { productId: a, quantity: 2 }] }, undefined],
      [{ userId: 'stranger', items: [{ productId: a, quantity: 1 }] }, undefined],
      [{ userId, items: [{ productId: 'ghost', quantity: 1 }] }, undefined],
    ];
    const replies = await Promise.all(burst.map(([body, key]) => h.post(body, key)));

    replies.slice(0, 20).forEach((reply) => expect(reply).toEqual({ status: 202, body: { orderId: expect.any(String), status: 'AWAITING_PAYMENT' } }));
    expect(new Set(replies.slice(0, 20).map((reply) => reply.body.orderId)).size).toBe(20);
    const same = replies.slice(20, 24);
    expect(same.map((reply) => reply.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(same.map((reply) => reply.body.orderId)).size).toBe(1);
    expect(replies[24]?.status).toBe(202);
    expect(replies[25]).toEqual({ status: 422, body: { error: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) } });
    expect(replies[26]).toEqual({ status: 400, body: { error: 'DUPLICATE_PRODUCT', message: expect.any(String) } });
    expect(replies[27]).toEqual({ status: 422, body: { error: 'UNKNOWN_USER', message: expect.any(String) } });
    expect(replies[28]).toEqual({ status: 422, body: { error: 'UNKNOWN_PRODUCT', message: expect.any(String) } });

    // 20 + 1 + 1 orders, each with its first timeline row and its OrderPlaced; two keys.
    expect(await countRows(h.db)).toEqual({ orders: 22, history: 22, keys: 2 });
    await waitFor(async () => (await h.orderingEvents()).filter((event) => event.type === 'OrderPlaced').length === 22, { description: 'every OrderPlaced published' });
    const events = (await h.orderingEvents()).filter((event) => event.type === 'OrderPlaced');
    const byOrder = new Map(events.map((event) => [(event.data as { orderId: string }).orderId, event]));
    const quantityNine = byOrder.get(String(replies[8]?.body.orderId));
    expect(quantityNine?.data).toEqual({ orderId: replies[8]?.body.orderId, userId, items: [{ productId: b, quantity: 9, unitPriceCents: 2_000 }], totalCents: 18_000 });
    expect(quantityNine?.correlationId).toBe(replies[8]?.body.orderId);
    // Nothing asked of the owners for what ordering knows.
    expect(h.owners.asked.filter((question) => question === `user:${userId}`)).toEqual([]);
  });

  it('a poison order in a burst fails alone: its neighbours are placed, nothing of it is written', async () => {
    const h = t.current;
    const { userId, products } = await knownShop(h);
    const poison = randomUUID();
    await h.accounts.publish(UserRegistered, { userId: poison, name: 'Poison', email: `${poison}@example.com`, country: 'GB' });
    await h.drained('accounts:events');
    // The set-based INSERT of the batch fails on this user's row; placed alone, only its own order does.
    await h.db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
      BEGIN IF NEW.user_id = '${poison}' THEN RAISE EXCEPTION 'poison order'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await h.db.query('CREATE TRIGGER refuse_poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
    const bodies = Array.from({ length: 10 }, (_, i) => ({ userId: i === 4 ? poison : userId, items: [{ productId: products[0] as string, quantity: 1 }] }));
    const replies = await Promise.all(bodies.map((body) => h.post(body)));
    expect(replies[4]?.status).toBeGreaterThanOrEqual(500);
    replies.filter((_, i) => i !== 4).forEach((reply) => expect(reply.status).toBe(202));
    expect(await countRows(h.db)).toEqual({ orders: 9, history: 9, keys: 0 });
    await waitFor(async () => (await h.orderingEvents()).filter((event) => event.type === 'OrderPlaced').length === 9, { description: 'nine OrderPlaced published' });
  });
});
