import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CheckoutRequested, PaymentReserved } from '@tributary/contracts';
import { deriveEventId, listDeadLetters } from 'tributary';
import { testDatabases, waitFor } from 'tributary/testing';
import { countRows } from '../src/store/orders-store.ts';
import { useOrdering, type Harness } from './harness.ts';

const items = [
  { productId: 'haggis', quantity: 2, unitPriceCents: 1_250 },
  { productId: 'tea', quantity: 1, unitPriceCents: 333 },
];

function checkout(h: Harness, orderId: string = randomUUID(), userId = 'basket-user') {
  // The basket derives the event id from the order id, so a re-publication is the same event.
  const id = deriveEventId(orderId, 'CheckoutRequested');
  return h.basket.envelope(CheckoutRequested, { orderId, userId, items }, { id, correlationId: orderId });
}

describe.each(testDatabases())('ordering places the basket\'s checkouts ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('CheckoutRequested → the order exists with the basket\'s order id and prices, and OrderPlaced is caused by the checkout', async () => {
    const h = t.current;
    const event = checkout(h);
    await h.basket.publishEnvelopes([event]);
    const orderId = event.data.orderId;

    await waitFor(async () => (await h.get(`/orders/${orderId}`)).status === 200, { description: 'order created' });
    expect((await h.get(`/orders/${orderId}`)).body).toMatchObject({
      id: orderId, userId: 'basket-user', status: 'AWAITING_PAYMENT', items, totalCents: 2_833,
      history: [{ status: 'AWAITING_PAYMENT', at: expect.any(String) }],
    });
    const [placed] = await waitFor(async () => {
      const events = await h.orderingEvents();
      return events.length > 0 ? events : null;
    });
    expect(placed).toMatchObject({
      type: 'OrderPlaced',
      id: deriveEventId(event.id, 'OrderPlaced'),
      causationId: event.id,
      correlationId: event.correlationId,
      data: { orderId, userId: 'basket-user', items, totalCents: 2_833 },
    });

    // From here it is an order like any other: the saga moves on.
    await h.payments.publish(PaymentReserved, { orderId, userId: 'basket-user', amountCents: 2_833, country: 'GB' });
    await waitFor(async () => (await h.get(`/orders/${orderId}`)).body.status === 'AWAITING_SHIPMENT');
  });

  it('a duplicate CheckoutRequested (redelivered, or re-published later by the basket) → one order, one OrderPlaced', async () => {
    const h = t.current;
    const event = checkout(h);
    await h.basket.publishEnvelopes([event, event, event]);
    await h.drained('basket:events');
    // Re-published after the first was handled, as the basket's sweep does: a new envelope, same id.
    await h.basket.publishEnvelopes([checkout(h, event.data.orderId)]);
    await h.drained('basket:events');
    // The same order id under another event id (a basket bug or a replay): still nothing new.
    await h.basket.publishEnvelopes([h.basket.envelope(CheckoutRequested, event.data)]);
    await h.drained('basket:events');

    await waitFor(async () => (await h.service.outbox.backlog()) === 0);
    expect(await countRows(h.db)).toEqual({ orders: 1, history: 1, keys: 0 });
    const placed = (await h.orderingEvents()).filter((entry) => entry.type === 'OrderPlaced');
    expect(placed).toHaveLength(1);
    expect(placed[0]?.data).toMatchObject({ orderId: event.data.orderId });
    expect(await listDeadLetters(h.probe, 'basket:events')).toEqual([]);
  });

  it('two checkouts of different orders concurrently, each delivered twice: two orders, two OrderPlaced', async () => {
    const h = t.current;
    const first = checkout(h, randomUUID(), 'user-a');
    const second = checkout(h, randomUUID(), 'user-b');
    await h.basket.publishEnvelopes([first, second, second, first]);
    await h.drained('basket:events');
    await waitFor(async () => (await h.service.outbox.backlog()) === 0);
    expect(await countRows(h.db)).toMatchObject({ orders: 2, history: 2 });
    const placed = (await h.orderingEvents()).filter((entry) => entry.type === 'OrderPlaced').map((entry) => (entry.data as { orderId: string }).orderId);
    expect(placed.sort()).toEqual([first.data.orderId, second.data.orderId].sort());
  });
});
