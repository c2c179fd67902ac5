import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProductChanged, ProductCreated, UserRegistered } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { parseStreamPosition } from '../src/store/customers-store.ts';
import { countRows } from '../src/store/orders-store.ts';
import { findProductPrices, saveProductPrice } from '../src/store/products-store.ts';
import { useOrdering, type Harness } from './harness.ts';

function created(h: Harness, productId: string, priceCents: number) {
  return h.catalog.envelope(ProductCreated, { productId, sku: `SKU-${productId}`, name: 'Haggis', priceCents, stock: 5, bannedCountries: [] });
}

describe.each(testDatabases())('ordering\'s copy of catalog prices ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('prices orders from ProductCreated and price changes with accounts and the catalog down; redelivered and late events change nothing', async () => {
    const h = t.current;
    const userId = randomUUID();
    const productId = randomUUID();
    const first = created(h, productId, 1_000);
    const repriced = h.catalog.envelope(ProductChanged, { productId, changes: { priceCents: 1_500 } });
    const renamed = h.catalog.envelope(ProductChanged, { productId, changes: { name: 'Haggis deluxe' } });
    await h.accounts.publish(UserRegistered, { userId, name: 'Ada', email: 'ada@example.com', country: 'GB' });
    // Redelivered and out of stream order: the copy still ends at the newest price.
    await h.catalog.publishEnvelopes([first, repriced, renamed, first, repriced]);
    await h.drained('catalog:events');
    await h.drained('accounts:events');
    expect(await findProductPrices(h.db, [productId])).toEqual(new Map([[productId, 1_500]]));
    const handled = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tributary_handled_events WHERE event_id = ANY($1)', [[first.id, repriced.id]]);
    expect(handled.rows[0]?.n).toBe(2);

    h.owners.down = true;
    const placed = await h.post({ userId, items: [{ productId, quantity: 2 }] });
    expect(placed).toEqual({ status: 202, body: { orderId: expect.any(String), status: 'AWAITING_PAYMENT' } });
    expect((await h.get(`/orders/${String(placed.body.orderId)}`)).body).toMatchObject({
      totalCents: 3_000,
      items: [{ productId, quantity: 2, unitPriceCents: 1_500 }],
    });
    expect(h.owners.asked).toEqual([]);

    // The store's rule: the stream position decides, not the order of handling.
    const other = randomUUID();
    await h.db.transaction(async (tx) => {
      expect(await saveProductPrice(tx, other, 700, parseStreamPosition('1700000000000-5'))).toBe(true);
      expect(await saveProductPrice(tx, other, 600, parseStreamPosition('1700000000000-4'))).toBe(false);
      expect(await saveProductPrice(tx, other, 500, parseStreamPosition('1700000000000-5'))).toBe(false);
      expect(await saveProductPrice(tx, other, 800, parseStreamPosition('1700000000001-0'))).toBe(true);
    });
    expect(await findProductPrices(h.db, [other, 'never-heard-of'])).toEqual(new Map([[other, 800]]));
  });

  it('a user or product not copied yet is asked of its owner once: known → 202 at the owner\'s price, unknown → 422, owner down → 503 and nothing written', async () => {
    const h = t.current;
    const copied = randomUUID();
    await h.catalog.publishEnvelopes([created(h, copied, 400)]);
    await h.drained('catalog:events');
    h.owners.users = new Set(['fresh-user']);
    const fresh = randomUUID();
    h.owners.prices.set(fresh, 250);

    // Only the miss is asked about, in one question; the copied product keeps its copied price.
    const placed = await h.post({ userId: 'fresh-user', items: [{ productId: copied, quantity: 1 }, { productId: fresh, quantity: 2 }] });
    expect(placed.status).toBe(202);
    expect((await h.get(`/orders/${String(placed.body.orderId)}`)).body).toMatchObject({ totalCents: 900 });
    expect(h.owners.asked).toEqual(['user:fresh-user', `products:${fresh}`]);

    expect(await h.post({ userId: 'nobody', items: [{ productId: copied, quantity: 1 }] }))
      .toEqual({ status: 422, body: { error: 'UNKNOWN_USER', message: expect.stringContaining('nobody') } });
    expect(await h.post({ userId: 'fresh-user', items: [{ productId: copied, quantity: 1 }, { productId: 'ghost', quantity: 1 }] }))
      .toEqual({ status: 422, body: { error: 'UNKNOWN_PRODUCT', message: expect.stringContaining('ghost') } });

    h.owners.down = true;
    expect(await h.post({ userId: 'fresh-user', items: [{ productId: fresh, quantity: 1 }] }))
      .toEqual({ status: 503, body: { error: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('accounts') } });
    expect(await countRows(h.db)).toMatchObject({ orders: 1, history: 1 });
    await waitFor(async () => (await h.orderingEvents()).length === 1, { description: 'one OrderPlaced' });
  });
});
