import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { ProductChanged, ProductCreated } from '@tributary/contracts';
import { basketKeys } from '../src/store/keys.ts';
import { createProductStore } from '../src/store/product-store.ts';
import { useBasket } from './harness.ts';

const t = useBasket();

describe('the basket\'s copy of names and prices', () => {
  it('ProductChanged applies only the fields present: a price change keeps the name, a name change keeps the price', async () => {
    const service = await t.start();
    await t.registerUser('u1');
    const tea = await t.createProduct({ name: 'Tea', priceCents: 300 });
    await t.put(service.app, 'u1', tea, 2);

    await t.catalog.publish(ProductChanged, { productId: tea, changes: { priceCents: 350 } });
    await waitFor(async () => (await t.request(service.app, 'GET', '/baskets/u1')).body.totalCents === 700, { description: 'new price' });
    expect((await t.request(service.app, 'GET', '/baskets/u1')).body.items).toEqual([
      { productId: tea, name: 'Tea', quantity: 2, unitPriceCents: 350, lineTotalCents: 700 },
    ]);

    await t.catalog.publish(ProductChanged, { productId: tea, changes: { name: 'Earl Grey' } });
    await waitFor(async () => (await t.store.sendCommand<string | null>(['HGET', basketKeys.product(tea), 'name'])) === 'Earl Grey', { description: 'new name' });
    expect((await t.request(service.app, 'GET', '/baskets/u1')).body.items).toEqual([
      { productId: tea, name: 'Earl Grey', quantity: 2, unitPriceCents: 350, lineTotalCents: 700 },
    ]);
  });

  it('a product known only from a ProductChanged is not known yet (422), and becomes known with its ProductCreated', async () => {
    const service = await t.start();
    const productId = randomUUID();
    await t.catalog.publish(ProductChanged, { productId, changes: { priceCents: 999 } });
    await t.drained('catalog:events');
    await t.registerUser('u2');
    expect((await t.put(service.app, 'u2', productId, 1)).status).toBe(422);

    await t.createProduct({ productId, name: 'Late', priceCents: 100 });
    const put = await t.put(service.app, 'u2', productId, 1);
    expect(put.status).toBe(200);
    // The ProductCreated came later in the stream, so its price is the newer one.
    expect(put.body.items).toEqual([{ productId, name: 'Late', quantity: 1, unitPriceCents: 100, lineTotalCents: 100 }]);
  });

  it('a redelivered event is applied once; a newer handled event is never overwritten by an older one retried late', async () => {
    await t.start();
    const products = createProductStore(t.store);
    const productId = randomUUID();
    const created = randomUUID();
    const changed = randomUUID();
    // The kit may retry ProductCreated (entry 1-0) after it handled ProductChanged (entry 2-0).
    expect(await products.apply('basket', changed, '2-0', productId, { priceCents: 900 })).toBe(1);
    expect(await products.apply('basket', created, '1-0', productId, { name: 'Haggis', priceCents: 500 })).toBe(1);
    expect(await products.apply('basket', created, '1-0', productId, { name: 'Haggis', priceCents: 500 })).toBe('duplicate');
    expect(await products.getMany([productId])).toEqual(new Map([[productId, { name: 'Haggis', priceCents: 900 }]]));
    // Same millisecond, later sequence number: newer.
    expect(await products.apply('basket', randomUUID(), '2-1', productId, { priceCents: 950 })).toBe(1);
    expect((await products.getMany([productId])).get(productId)?.priceCents).toBe(950);
  });

  it('the same envelope delivered twice through the stream changes the copy once', async () => {
    await t.start();
    const productId = randomUUID();
    const event = t.catalog.envelope(ProductCreated, { productId, sku: 'S', name: 'Once', priceCents: 10, stock: 1, bannedCountries: [] });
    await t.catalog.publishEnvelopes([event, event]);
    await t.drained('catalog:events');
    const markers = await t.store.sendCommand<string[]>(['KEYS', `${basketKeys.product(productId)}:handled:*`]);
    expect(markers).toEqual([basketKeys.productHandled(productId, 'basket', event.id)]);
    // Applied by the first delivery (2 fields); the second found the marker and wrote nothing.
    expect(await t.store.sendCommand(['GET', markers[0] as string])).toBe('2');
    expect(await t.store.sendCommand(['HGETALL', basketKeys.product(productId)])).toEqual(
      expect.arrayContaining(['name', 'Once', 'priceCents', '10']),
    );
  });
});
