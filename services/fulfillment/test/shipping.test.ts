import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEventId, encodeEnvelope, groupsOf, listDeadLetters } from 'tributary';
import { waitFor } from 'tributary/testing';
import { OrderAwaitingShipment, ProductCreated } from '@tributary/contracts';
import { SERVICE, fulfillmentKeys } from '../src/store/keys.ts';
import { createStockStore } from '../src/store/stock-store.ts';
import { useFulfillment } from './harness.ts';

const t = useFulfillment();

describe('shipping an order', () => {
  it('SHIPPED: decrements every product and publishes OrderShipped caused by the order', async () => {
    const service = await t.start();
    const haggis = await t.createProduct(service, { stock: 5, bannedCountries: ['US'] });
    const whisky = await t.createProduct(service, { stock: 3 });
    const order = t.order([{ productId: haggis, quantity: 2 }, { productId: whisky, quantity: 3 }], 'GB');
    await t.ordering.publishEnvelopes([order]);

    const [shipped] = await t.waitForOutcomes(1);
    expect(shipped).toMatchObject({
      type: 'OrderShipped',
      source: 'fulfillment',
      id: deriveEventId(order.id, 'OrderShipped'),
      causationId: order.id,
      correlationId: order.correlationId,
      data: { orderId: order.data.orderId, userId: order.data.userId },
    });
    // No digital products: the list is left out, not sent empty.
    expect(shipped?.data).not.toHaveProperty('digitalProductIds');
    // Everything ships; an order without an address (written before ordering sent one) ships to address null.
    expect(shipped?.data).toMatchObject({
      physicalItems: [{ productId: haggis, quantity: 2 }, { productId: whisky, quantity: 3 }],
      shipTo: { country: 'GB', address: null },
    });
    expect(await t.stock(haggis)).toBe(3);
    expect(await t.stock(whisky)).toBe(0);
  });

  it('SHIPMENT_FAILED_BANNED_PRODUCT: names only the banned products and leaves all stock untouched', async () => {
    const service = await t.start();
    const haggis = await t.createProduct(service, { stock: 5, bannedCountries: ['US', 'CA'] });
    const kinder = await t.createProduct(service, { stock: 5, bannedCountries: ['US'] });
    const tea = await t.createProduct(service, { stock: 5 });
    const order = t.order([{ productId: tea, quantity: 1 }, { productId: haggis, quantity: 1 }, { productId: kinder, quantity: 9 }], 'US');
    await t.ordering.publishEnvelopes([order]);

    const [failed] = await t.waitForOutcomes(1);
    expect(failed).toMatchObject({
      type: 'ShipmentFailed',
      id: deriveEventId(order.id, 'ShipmentFailed'),
      causationId: order.id,
      data: { orderId: order.data.orderId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: [haggis, kinder] },
    });
    expect([await t.stock(haggis), await t.stock(kinder), await t.stock(tea)]).toEqual([5, 5, 5]);
  });

  it('SHIPMENT_FAILED_OUT_OF_STOCK: names the short products and decrements nothing (all or nothing)', async () => {
    const service = await t.start();
    const plenty = await t.createProduct(service, { stock: 10 });
    const short = await t.createProduct(service, { stock: 2 });
    // The same product on two lines counts as its total (2 + 1 > 2).
    const order = t.order([{ productId: plenty, quantity: 4 }, { productId: short, quantity: 2 }, { productId: short, quantity: 1 }]);
    await t.ordering.publishEnvelopes([order]);

    const [failed] = await t.waitForOutcomes(1);
    expect(failed?.data).toEqual({ orderId: order.data.orderId, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: [short] });
    expect([await t.stock(plenty), await t.stock(short)]).toEqual([10, 2]);
  });
});

describe('digital products', () => {
  it('a mixed order: physical stock decremented, digital untouched, OrderShipped lists the digital products', async () => {
    const service = await t.start();
    const tea = await t.createProduct(service, { stock: 4 });
    const ebook = await t.createProduct(service, { stock: 0, digital: true });
    const audiobook = await t.createProduct(service, { stock: 2, digital: true });
    const order = t.order(
      [{ productId: ebook, quantity: 1 }, { productId: tea, quantity: 1 }, { productId: audiobook, quantity: 5 }, { productId: tea, quantity: 2 }],
      'FR',
      '5 Rue de la Paix, Paris',
    );
    await t.ordering.publishEnvelopes([order]);

    const [shipped] = await t.waitForOutcomes(1);
    expect(shipped).toMatchObject({ type: 'OrderShipped', id: deriveEventId(order.id, 'OrderShipped') });
    // The parcel holds only the physical product, its lines merged; the e-books go by mail.
    expect(shipped?.data).toEqual({
      orderId: order.data.orderId,
      userId: order.data.userId,
      digitalProductIds: [ebook, audiobook],
      physicalItems: [{ productId: tea, quantity: 3 }],
      shipTo: { country: 'FR', address: '5 Rue de la Paix, Paris' },
    });
    expect([await t.stock(tea), await t.stock(ebook), await t.stock(audiobook)]).toEqual([1, 0, 2]);
  });

  it('an all-digital order ships without stock and without touching any', async () => {
    const service = await t.start();
    const ebook = await t.createProduct(service, { stock: 0, digital: true });
    const order = t.order([{ productId: ebook, quantity: 3 }], 'GB', null);
    await t.ordering.publishEnvelopes([order, t.order([{ productId: ebook, quantity: 1 }])]);

    const events = await t.waitForOutcomes(2);
    // Nothing physical: no physicalItems at all, so package makes no parcel.
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['OrderShipped', { orderId: order.data.orderId, userId: order.data.userId, digitalProductIds: [ebook], shipTo: { country: 'GB', address: null } }],
      ['OrderShipped', expect.objectContaining({ digitalProductIds: [ebook] })],
    ]);
    expect(events[1]?.data).not.toHaveProperty('physicalItems');
    expect(await t.stock(ebook)).toBe(0);
  });

  it('a digital product banned in the destination fails the whole order, and no stock moves', async () => {
    const service = await t.start();
    const tea = await t.createProduct(service, { stock: 4 });
    const ebook = await t.createProduct(service, { stock: 0, digital: true, bannedCountries: ['US'] });
    const order = t.order([{ productId: tea, quantity: 1 }, { productId: ebook, quantity: 1 }], 'US');
    await t.ordering.publishEnvelopes([order]);

    const [failed] = await t.waitForOutcomes(1);
    expect(failed).toMatchObject({
      type: 'ShipmentFailed',
      data: { orderId: order.data.orderId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: [ebook] },
    });
    expect(await t.stock(tea)).toBe(4);
  });

  it('GET /stock/:productId says digital: true and reports no stock for it', async () => {
    const service = await t.start();
    const ebook = await t.createProduct(service, { stock: 12, digital: true, bannedCountries: ['FR'] });
    const reply = await service.app.inject({ method: 'GET', url: `/stock/${ebook}` });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ productId: ebook, digital: true, stock: null, bannedCountries: ['FR'] });
  });

  it('a product stored before the digital flag existed is physical', async () => {
    const service = await t.start();
    const productId = randomUUID();
    await t.store.sendCommand(['HSET', fulfillmentKeys.product(productId), 'stock', '2', 'banned', '[]']);
    const reply = await service.app.inject({ method: 'GET', url: `/stock/${productId}` });
    expect(reply.json()).toEqual({ productId, digital: false, stock: 2, bannedCountries: [] });
    await t.ordering.publishEnvelopes([t.order([{ productId, quantity: 3 }])]);
    expect((await t.waitForOutcomes(1))[0]?.data).toMatchObject({ reason: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: [productId] });
  });
});

describe('exactly once in effect', () => {
  it('a redelivered order yields the same outcome event id and decrements once', async () => {
    const service = await t.start();
    const product = await t.createProduct(service, { stock: 5 });
    const order = t.order([{ productId: product, quantity: 2 }]);
    await t.ordering.publishEnvelopes([order, order]);

    const events = await t.waitForOutcomes(2);
    expect(events.map((event) => event.id)).toEqual([deriveEventId(order.id, 'OrderShipped'), deriveEventId(order.id, 'OrderShipped')]);
    expect(await t.stock(product)).toBe(3);
  });

  it('a crash between the script and the publish: the redelivery publishes the stored outcome without a second decrement', async () => {
    const service = await t.start();
    const product = await t.createProduct(service, { stock: 1 });
    const order = t.order([{ productId: product, quantity: 1 }]);
    // The effect happened (stock taken), the process died before publishing.
    const first = await createStockStore(t.store).shipOrder(SERVICE, order.id, { country: 'GB', lines: [{ productId: product, quantity: 1 }] });
    expect(first).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect(await t.stock(product)).toBe(0);

    await t.ordering.publishEnvelopes([order]);
    const [shipped] = await t.waitForOutcomes(1);
    // Not OUT_OF_STOCK although the stock is now 0: the stored outcome wins.
    expect(shipped).toMatchObject({ type: 'OrderShipped', id: deriveEventId(order.id, 'OrderShipped') });
    expect(await t.stock(product)).toBe(0);
  });

  it('creating a product again never resets stock that orders already took', async () => {
    const service = await t.start();
    const product = await t.createProduct(service, { stock: 5 });
    await t.ordering.publishEnvelopes([t.order([{ productId: product, quantity: 4 }])]);
    await t.waitForOutcomes(1);

    const again = t.catalog.envelope(ProductCreated, {
      productId: product, sku: 'SKU-again', name: 'Haggis', priceCents: 1, stock: 100, bannedCountries: ['GB'], digital: true,
    });
    const [, last] = await t.catalog.publishEnvelopes([again, again]);
    await waitFor(async () => {
      const [group] = await groupsOf(t.bus, ProductCreated.stream);
      return group?.lastDeliveredId === last && group?.pending === 0;
    }, { description: 'both ProductCreated handled' });
    const reply = await service.app.inject({ method: 'GET', url: `/stock/${product}` });
    expect(reply.json()).toEqual({ productId: product, digital: false, stock: 1, bannedCountries: [] });
  });
});

describe('when the product is not known yet', () => {
  it('retries the order and ships it once ProductCreated arrives', async () => {
    const service = await t.start({ consumer: { backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 50 } });
    const productId = randomUUID();
    const order = t.order([{ productId, quantity: 1 }]);
    await t.ordering.publishEnvelopes([order]);

    // Redis counts the redeliveries: the handler failed at least twice.
    await waitFor(async () => {
      const pending = await t.bus.sendCommand<Array<[string, string, number, number]>>(['XPENDING', OrderAwaitingShipment.stream, SERVICE, '-', '+', '10']);
      return pending.length === 1 && Number(pending[0]?.[3]) >= 2;
    }, { description: 'the order redelivered' });
    expect(await t.outcomes()).toEqual([]);

    await t.createProduct(service, { productId, stock: 3 });
    const [shipped] = await t.waitForOutcomes(1);
    expect(shipped).toMatchObject({ type: 'OrderShipped', id: deriveEventId(order.id, 'OrderShipped') });
    expect(await t.stock(productId)).toBe(2);
    expect(await listDeadLetters(t.bus, OrderAwaitingShipment.stream)).toEqual([]);
  });
});

describe('robustness', () => {
  it('works after SCRIPT FLUSH (EVALSHA falls back to EVAL on NOSCRIPT)', async () => {
    const service = await t.start();
    const store = createStockStore(t.store);
    await t.store.sendCommand(['SCRIPT', 'FLUSH']);
    const product = await t.createProduct(service, { stock: 3 });
    for (let n = 1; n <= 2; n++) {
      await t.store.sendCommand(['SCRIPT', 'FLUSH']);
      expect(await store.shipOrder(SERVICE, randomUUID(), { country: 'GB', lines: [{ productId: product, quantity: 1 }] })).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
      expect(await t.stock(product)).toBe(3 - n);
    }
    await t.store.sendCommand(['SCRIPT', 'FLUSH']);
    await t.ordering.publishEnvelopes([t.order([{ productId: product, quantity: 1 }])]);
    expect((await t.waitForOutcomes(1))[0]?.type).toBe('OrderShipped');
    expect(await t.stock(product)).toBe(0);
  });

  it("schema-invalid entries go to '{ordering:events}:dlq' and change nothing", async () => {
    const service = await t.start();
    const product = await t.createProduct(service, { stock: 3 });
    const valid = t.order([{ productId: product, quantity: 1 }]);
    const invalid = [
      { ...valid, id: randomUUID(), data: { ...valid.data, country: 'usa' } },
      { ...valid, id: randomUUID(), data: { ...valid.data, items: [] } },
      { ...valid, id: randomUUID(), data: { ...valid.data, items: [{ productId: product, quantity: -1 }] } },
    ];
    for (const entry of invalid) {
      const fields = Object.entries(encodeEnvelope(entry)).flat();
      await t.bus.sendCommand(['XADD', OrderAwaitingShipment.stream, '*', ...fields]);
    }
    await t.bus.sendCommand(['XADD', OrderAwaitingShipment.stream, '*', 'type', 'OrderAwaitingShipment', 'data', '{not json']);

    const letters = await waitFor(async () => {
      const found = await listDeadLetters(t.bus, OrderAwaitingShipment.stream);
      return found.length >= 4 ? found : null;
    }, { description: 'four dead letters' });
    expect(letters).toHaveLength(4);
    expect(letters.every((letter) => letter.group === SERVICE)).toBe(true);
    expect(letters.slice(0, 3).map((letter) => letter.handler)).toEqual(['OrderAwaitingShipment', 'OrderAwaitingShipment', 'OrderAwaitingShipment']);
    expect(await t.outcomes()).toEqual([]);
    expect(await t.stock(product)).toBe(3);
  });
});

describe('GET /stock/:productId', () => {
  it('answers the stock and banned countries, 404 PRODUCT_NOT_FOUND, 400 on a malformed id', async () => {
    const service = await t.start();
    const product = await t.createProduct(service, { stock: 7, bannedCountries: ['US', 'AU'] });
    const found = await service.app.inject({ method: 'GET', url: `/stock/${product}` });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ productId: product, digital: false, stock: 7, bannedCountries: ['US', 'AU'] });

    const missing = await service.app.inject({ method: 'GET', url: `/stock/${randomUUID()}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'PRODUCT_NOT_FOUND' });

    const malformed = await service.app.inject({ method: 'GET', url: '/stock/not%20an%20id' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
  });
});
