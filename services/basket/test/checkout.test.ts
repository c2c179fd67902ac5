import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEventId } from 'tributary';
import { waitFor } from 'tributary/testing';
import { OrderPlaced, ProductChanged } from '@tributary/contracts';
import { createBasketStore } from '../src/store/basket-store.ts';
import { basketKeys } from '../src/store/keys.ts';
import { createProductStore } from '../src/store/product-store.ts';
import { useBasket, type BasketTestEnv } from './harness.ts';

const t = useBasket();

async function fill(env: BasketTestEnv, app: Parameters<BasketTestEnv['put']>[0], userId: string) {
  await env.registerUser(userId);
  const haggis = await env.createProduct({ name: 'Haggis', priceCents: 1_250 });
  const tea = await env.createProduct({ name: 'Tea', priceCents: 300 });
  await env.put(app, userId, haggis, 2);
  await env.put(app, userId, tea, 1);
  return { haggis, tea };
}

function placed(env: BasketTestEnv, orderId: string, userId: string) {
  return env.ordering.envelope(OrderPlaced, { orderId, userId, items: [{ productId: 'x', quantity: 1, unitPriceCents: 1 }], totalCents: 1 });
}

describe('POST /baskets/:userId/checkout', () => {
  it('202 {orderId}; publishes CheckoutRequested with the basket\'s prices under an id derived from the order id', async () => {
    const service = await t.start();
    const { haggis, tea } = await fill(t, service.app, 'u1');
    const reply = await t.request(service.app, 'POST', '/baskets/u1/checkout');
    expect(reply).toEqual({ status: 202, body: { orderId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    const orderId = String(reply.body.orderId);

    const [event, ...more] = await t.checkoutEvents();
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      id: deriveEventId(orderId, 'CheckoutRequested'),
      type: 'CheckoutRequested',
      source: 'basket',
      data: { orderId, userId: 'u1' },
    });
    expect(event?.data.items).toEqual(expect.arrayContaining([
      { productId: haggis, quantity: 2, unitPriceCents: 1_250 },
      { productId: tea, quantity: 1, unitPriceCents: 300 },
    ]));
    expect(event?.data.items).toHaveLength(2);

    // Pending until ordering answers: the items stay, the checkout shows.
    const view = await t.request(service.app, 'GET', '/baskets/u1');
    expect(view.body).toMatchObject({ checkout: { orderId }, totalCents: 2_800 });
    expect(await t.store.sendCommand(['ZCARD', basketKeys.basket('u1')])).toBe(2);
  });

  it('422 EMPTY_BASKET and nothing published for an empty basket', async () => {
    const service = await t.start();
    await t.registerUser('u0');
    expect(await t.request(service.app, 'POST', '/baskets/u0/checkout')).toEqual({
      status: 422, body: { error: 'EMPTY_BASKET', message: expect.any(String) },
    });
    expect(await t.checkoutEvents()).toEqual([]);
    expect(await t.store.sendCommand(['EXISTS', basketKeys.checkout('u0')])).toBe(0);
  });

  it('retried sequentially: the same orderId every time, one event id, the first snapshot (a later price change is not in it)', async () => {
    const service = await t.start();
    const { haggis } = await fill(t, service.app, 'u2');
    const first = await t.request(service.app, 'POST', '/baskets/u2/checkout');
    const orderId = String(first.body.orderId);

    await t.catalog.publish(ProductChanged, { productId: haggis, changes: { priceCents: 9_999 } });
    await t.drained('catalog:events');
    for (let i = 0; i < 5; i++) {
      expect(await t.request(service.app, 'POST', '/baskets/u2/checkout')).toEqual({ status: 202, body: { orderId } });
    }
    const events = await t.checkoutEvents();
    expect(new Set(events.map((event) => event.id))).toEqual(new Set([deriveEventId(orderId, 'CheckoutRequested')]));
    expect(new Set(events.map((event) => event.data.orderId))).toEqual(new Set([orderId]));
    for (const event of events) expect(event.data.items).toContainEqual({ productId: haggis, quantity: 2, unitPriceCents: 1_250 });
  });

  it('retried concurrently, through two instances: one orderId, one event id', async () => {
    const a = await t.start();
    const b = await t.start();
    await fill(t, a.app, 'u3');
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => t.request((i % 2 === 0 ? a : b).app, 'POST', '/baskets/u3/checkout')));
    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([202]));
    const orderIds = new Set(replies.map((reply) => reply.body.orderId));
    expect(orderIds.size).toBe(1);
    const events = await t.checkoutEvents();
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
    expect(new Set(events.map((event) => event.data.orderId))).toEqual(orderIds);
  });
});

describe('the basket empties only when ordering placed the order', () => {
  it('OrderPlaced removes the checked-out quantities, keeps what came after, once; then a new checkout is a new order', async () => {
    const service = await t.start();
    const { haggis, tea } = await fill(t, service.app, 'u4');
    const orderId = String((await t.request(service.app, 'POST', '/baskets/u4/checkout')).body.orderId);

    // After the checkout: one more haggis (2 → 3) and a new product.
    const cake = await t.createProduct({ name: 'Cake', priceCents: 700 });
    await t.put(service.app, 'u4', haggis, 3);
    await t.put(service.app, 'u4', cake, 1);

    // Orders that are not this checkout change nothing.
    await t.ordering.publishEnvelopes([placed(t, randomUUID(), 'u4'), placed(t, orderId, 'someone-else')]);
    await t.drained('ordering:events');
    expect((await t.request(service.app, 'GET', '/baskets/u4')).body).toMatchObject({ checkout: { orderId } });
    expect(await t.store.sendCommand(['ZCARD', basketKeys.basket('u4')])).toBe(3);

    // The real one, delivered twice.
    const event = placed(t, orderId, 'u4');
    await t.ordering.publishEnvelopes([event, event]);
    await t.drained('ordering:events');
    const view = await t.request(service.app, 'GET', '/baskets/u4');
    expect(view.body).toEqual({
      userId: 'u4',
      items: expect.arrayContaining([
        { productId: haggis, name: 'Haggis', quantity: 1, unitPriceCents: 1_250, lineTotalCents: 1_250 },
        { productId: cake, name: 'Cake', quantity: 1, unitPriceCents: 700, lineTotalCents: 700 },
      ]),
      totalCents: 1_950,
      checkout: null,
    });
    expect((view.body.items as unknown[]).length).toBe(2);
    expect(await t.store.sendCommand(['ZSCORE', basketKeys.basket('u4'), tea])).toBeNull();
    expect(await t.store.sendCommand(['EXISTS', basketKeys.checkout('u4')])).toBe(0);

    const next = await t.request(service.app, 'POST', '/baskets/u4/checkout');
    expect(next.status).toBe(202);
    expect(next.body.orderId).not.toBe(orderId);
  });

  it('a checkout of everything, then OrderPlaced: the basket is gone and a further checkout is 422 EMPTY_BASKET', async () => {
    const service = await t.start();
    await fill(t, service.app, 'u5');
    const orderId = String((await t.request(service.app, 'POST', '/baskets/u5/checkout')).body.orderId);
    await t.ordering.publishEnvelopes([placed(t, orderId, 'u5')]);
    await waitFor(async () => (await t.store.sendCommand<number>(['EXISTS', basketKeys.basket('u5'), basketKeys.checkout('u5')])) === 0, {
      description: 'basket and checkout cleared',
    });
    expect((await t.request(service.app, 'POST', '/baskets/u5/checkout')).body.error).toBe('EMPTY_BASKET');
  });
});

describe('a crash between the checkout script and the publish', () => {
  /** What a checkout request does before it publishes: the process "dies" right after. */
  async function recordWithoutPublishing(env: BasketTestEnv, userId: string) {
    const basket = createBasketStore(env.store, { ttlSeconds: 3_600 });
    const products = createProductStore(env.store);
    await basket.markDue(userId, Date.now());
    const { lines } = await basket.readBasket(userId);
    const copies = await products.getMany(lines.map((line) => line.productId));
    const items = lines.map((line) => ({ ...line, unitPriceCents: copies.get(line.productId)?.priceCents ?? 0 }));
    const reply = await basket.recordCheckout(userId, { orderId: randomUUID(), now: Date.now(), items });
    if (reply.kind !== 'created') throw new Error(`expected a new checkout, got ${reply.kind}`);
    return reply.checkout.orderId;
  }

  it('the sweep of a restarted instance publishes the recorded checkout, once ordering answers the sweep forgets it', async () => {
    const first = await t.start();
    await fill(t, first.app, 'u6');
    await first.close();
    const orderId = await recordWithoutPublishing(t, 'u6');
    expect(await t.checkoutEvents()).toEqual([]);

    const restarted = await t.start({ sweep: { intervalMs: 50, afterMs: 100, maxDelayMs: 60_000 } });
    const [event] = await waitFor(async () => {
      const events = await t.checkoutEvents();
      return events.length > 0 ? events : null;
    }, { description: 'CheckoutRequested re-published by the sweep' });
    expect(event).toMatchObject({ id: deriveEventId(orderId, 'CheckoutRequested'), data: { orderId, userId: 'u6' } });
    expect(event?.data.items).toHaveLength(2);

    await t.ordering.publishEnvelopes([placed(t, orderId, 'u6')]);
    await waitFor(async () => (await t.store.sendCommand<number>(['EXISTS', basketKeys.checkoutsDue()])) === 0, {
      description: 'the sweep forgets a user whose checkout was placed',
    });
    expect((await t.request(restarted.app, 'GET', '/baskets/u6')).body).toMatchObject({ items: [], checkout: null });
  });

  it('the next checkout call publishes it too, with the same order id', async () => {
    const service = await t.start();
    await fill(t, service.app, 'u7');
    const orderId = await recordWithoutPublishing(t, 'u7');
    expect(await t.request(service.app, 'POST', '/baskets/u7/checkout')).toEqual({ status: 202, body: { orderId } });
    expect((await t.checkoutEvents()).map((event) => event.id)).toEqual([deriveEventId(orderId, 'CheckoutRequested')]);
  });

  it('with the bus down the checkout is still accepted, and published by the sweep once the bus is back', async () => {
    const service = await t.start({ sweep: { intervalMs: 50, afterMs: 100, maxDelayMs: 200 } });
    await fill(t, service.app, 'u8');
    await t.busServer.kill();
    await waitFor(() => !t.bus.isReady, { description: 'the bus is gone' });
    const reply = await t.request(service.app, 'POST', '/baskets/u8/checkout');
    expect(reply).toEqual({ status: 202, body: { orderId: expect.any(String) } });

    t.busServer = await t.busServer.restart();
    const events = await waitFor(async () => {
      const found = await t.checkoutEvents().catch(() => []);
      return found.length > 0 ? found : null;
    }, { timeoutMs: 20_000, description: 'published after the outage' });
    expect(events[0]).toMatchObject({ id: deriveEventId(String(reply.body.orderId), 'CheckoutRequested'), data: { orderId: reply.body.orderId } });
  });
});
