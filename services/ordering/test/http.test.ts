import { describe, expect, it } from 'vitest';
import { PaymentReserved } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { countRows } from '../src/store/orders-store.ts';
import { newOrder, pricedItems, useOrdering, user } from './harness.ts';

describe.each(testDatabases())('ordering HTTP API ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('POST /orders → 202; GET /orders/:id with its timeline; GET /orders?userId= newest first; unknown id → 404', async () => {
    const h = t.current;
    const placed = await h.post(newOrder());
    expect(placed).toEqual({ status: 202, body: { orderId: expect.any(String), status: 'AWAITING_PAYMENT' } });
    const order = await h.get(`/orders/${String(placed.body.orderId)}`);
    expect(order.status).toBe(200);
    expect(order.body).toEqual({
      id: placed.body.orderId,
      userId: user,
      totalCents: 3_000,
      status: 'AWAITING_PAYMENT',
      items: pricedItems,
      failureReason: null,
      history: [{ status: 'AWAITING_PAYMENT', at: expect.any(String) }],
      createdAt: expect.any(String),
      customerName: null,
      deliveryId: null,
    });
    expect(Date.parse(String(order.body.createdAt))).not.toBeNaN();

    // GET /orders?userId= lists a user's orders, newest first, honouring limit.
    const ids: string[] = [String(placed.body.orderId)];
    for (let i = 0; i < 2; i++) ids.push(String((await h.post(newOrder())).body.orderId));
    await h.post(newOrder({ userId: 'someone-else' }));
    const all = await h.get(`/orders?userId=${user}`);
    expect(all.status).toBe(200);
    const listed = all.body.items as Array<Record<string, unknown>>;
    expect(listed.map((order) => order.id)).toEqual([...ids].reverse());
    expect(listed[0]).toEqual({
      id: ids[2], userId: user, totalCents: 3_000, status: 'AWAITING_PAYMENT', failureReason: null,
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(((await h.get(`/orders?userId=${user}&limit=2`)).body.items as unknown[]).length).toBe(2);
    expect((await h.get('/orders?userId=nobody')).body).toEqual({ items: [] });

    const missing = await h.get('/orders/00000000-0000-4000-8000-000000000000');
    expect(missing).toEqual({ status: 404, body: { error: 'ORDER_NOT_FOUND', message: expect.any(String) } });
  });

  it('bad input → 4xx {error, message} and nothing written', async () => {
    const h = t.current;
    const item = { productId: 'prod-a', quantity: 1 };
    // A catalog price so large that 100 lines of 10 000 exceed what an event can carry.
    for (let i = 0; i < 100; i++) h.owners.prices.set(`p${i}`, 1_000_000_000_000);
    h.owners.users = new Set([user]);
    const cases: Array<[unknown, number, string]> = [
      [{ userId: user, items: [item, { ...item, quantity: 2 }] }, 400, 'DUPLICATE_PRODUCT'],
      [{ userId: user, items: [] }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: Array.from({ length: 101 }, (_, i) => ({ ...item, productId: `p${i}` })) }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: [{ ...item, quantity: 0 }] }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: [{ ...item, quantity: 10_001 }] }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: [{ ...item, quantity: 1.5 }] }, 400, 'VALIDATION_FAILED'],
      // Ordering prices the lines: a price from the caller is refused, not trusted.
      [{ userId: user, items: [{ ...item, unitPriceCents: 1 }] }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: [{ productId: 'prod-a' }] }, 400, 'VALIDATION_FAILED'],
      [{ userId: 'nobody', items: [item] }, 422, 'UNKNOWN_USER'],
      [{ userId: user, items: [item, { productId: 'ghost', quantity: 1 }] }, 422, 'UNKNOWN_PRODUCT'],
      [{ userId: '', items: [item] }, 400, 'VALIDATION_FAILED'],
      [{ userId: 'has spaces', items: [item] }, 400, 'VALIDATION_FAILED'],
      [{ items: [item] }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: [item], extra: true }, 400, 'VALIDATION_FAILED'],
      [{ userId: user, items: Array.from({ length: 100 }, (_, i) => ({ productId: `p${i}`, quantity: 10_000 })) }, 400, 'TOTAL_TOO_LARGE'],
      ['{"userId": ', 400, 'INVALID_JSON'],
      ['[]', 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, error] of cases) {
      const res = await h.post(body);
      expect(res, JSON.stringify(body).slice(0, 120)).toEqual({ status, body: { error, message: expect.any(String) } });
    }
    for (const key of ['', 'k'.repeat(201)]) {
      expect((await h.post(newOrder(), key)).body.error).toBe('VALIDATION_FAILED');
    }
    expect((await h.get('/orders/bad%20id')).status).toBe(400);
    expect((await h.get('/orders')).status).toBe(400);
    expect((await h.get(`/orders?userId=${user}&limit=0`)).status).toBe(400);
    expect((await h.get(`/orders?userId=${user}&limit=101`)).status).toBe(400);
    expect(await countRows(h.db)).toEqual({ orders: 0, history: 0, keys: 0 });
    expect(await h.service.outbox.backlog()).toBe(0);
    expect(await h.orderingEvents()).toEqual([]);
  });

  it('Idempotency-Key: the same request returns the same order with its current status; another body → 422', async () => {
    const h = t.current;
    const first = await h.post(newOrder(), 'key-1');
    expect(first.status).toBe(202);
    const orderId = String(first.body.orderId);
    // Same body with keys in another order: canonical JSON makes it the same request.
    const reordered = { items: newOrder().items.map(({ quantity, productId }) => ({ quantity, productId })), userId: user };
    expect(await h.post(reordered, 'key-1')).toEqual({ status: 202, body: { orderId, status: 'AWAITING_PAYMENT' } });

    await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'GB' });
    await waitFor(async () => (await h.get(`/orders/${orderId}`)).body.status === 'AWAITING_SHIPMENT');
    // The key remembers what was asked, not the price it got: a retry after a price change replays the order.
    h.owners.prices.set('prod-a', 9_999);
    expect(await h.post(newOrder(), 'key-1')).toEqual({ status: 202, body: { orderId, status: 'AWAITING_SHIPMENT' } });

    const other = await h.post(newOrder({ userId: 'user-2' }), 'key-1');
    expect(other).toEqual({ status: 422, body: { error: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) } });

    const second = await h.post(newOrder(), 'key-2');
    expect(second.body.orderId).not.toBe(orderId);
    expect(await countRows(h.db)).toMatchObject({ orders: 2, keys: 2 });
    await waitFor(async () => (await h.orderingEvents()).filter((event) => event.type === 'OrderPlaced').length === 2);
  });

  it('Idempotency-Key: concurrent duplicates create exactly one order', async () => {
    const h = t.current;
    const replies = await Promise.all(Array.from({ length: 12 }, () => h.post(newOrder(), 'same-key')));
    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([202]));
    const ids = new Set(replies.map((reply) => reply.body.orderId));
    expect(ids.size).toBe(1);
    expect(await countRows(h.db)).toEqual({ orders: 1, history: 1, keys: 1 });

    // Concurrent requests with one key and different bodies: one wins, the others are told the key is taken.
    const mixed = await Promise.all(Array.from({ length: 6 }, (_, i) => h.post(newOrder({ userId: `buyer-${i}` }), 'contested')));
    expect(mixed.filter((reply) => reply.status === 202)).toHaveLength(1);
    expect(mixed.filter((reply) => reply.status === 422)).toHaveLength(5);
    expect(await countRows(h.db)).toEqual({ orders: 2, history: 2, keys: 2 });
    await waitFor(async () => (await h.orderingEvents()).length === 2);
  });
});
