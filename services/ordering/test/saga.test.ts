import { describe, expect, it } from 'vitest';
import { FORMER_PAYMENTS_STREAM, OrderShipped, PAYMENTS_STREAM, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentReserved, ShipmentFailed } from '@tributary/contracts';
import { createPublisher, deriveEventId, formerlyOn, listDeadLetters, type Envelope } from 'tributary';
import { testDatabases, waitFor } from 'tributary/testing';
import { newOrder, pricedItems, useOrdering, user, type Harness } from './harness.ts';

async function place(h: Harness): Promise<string> {
  const placed = await h.post(newOrder());
  expect(placed.status).toBe(202);
  return String(placed.body.orderId);
}

async function statusOf(h: Harness, orderId: string): Promise<string> {
  return String((await h.get(`/orders/${orderId}`)).body.status);
}

async function untilStatus(h: Harness, orderId: string, status: string) {
  await waitFor(async () => (await statusOf(h, orderId)) === status, { description: `order ${orderId} ${status}` });
}

/** The events ordering published about one order, once each. */
async function eventsOf(h: Harness, orderId: string): Promise<Envelope[]> {
  return (await h.orderingEvents()).filter((event) => (event.data as { orderId: string }).orderId === orderId);
}

describe.each(testDatabases())('ordering saga ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('normal order: AWAITING_PAYMENT → AWAITING_SHIPMENT → COMPLETED_SUCCESSFULLY, one event per step', async () => {
    const h = t.current;
    const orderId = await place(h);
    await waitFor(async () => (await eventsOf(h, orderId)).length === 1);
    const [placed] = await eventsOf(h, orderId);
    expect(placed).toMatchObject({
      type: 'OrderPlaced',
      source: 'ordering',
      // The order id correlates the saga: every event it causes inherits it.
      correlationId: orderId,
      data: { orderId, userId: user, totalCents: 3_000, items: pricedItems },
    });

    const reserved = await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'GB' }, { causedBy: placed });
    expect(reserved).toBeTruthy();
    await untilStatus(h, orderId, 'AWAITING_SHIPMENT');
    await waitFor(async () => (await eventsOf(h, orderId)).length === 2);
    const awaiting = (await eventsOf(h, orderId))[1] as Envelope;
    expect(awaiting).toMatchObject({
      type: 'OrderAwaitingShipment',
      correlationId: placed!.correlationId,
      data: { orderId, userId: user, country: 'GB', items: [{ productId: 'prod-a', quantity: 2 }, { productId: 'prod-b', quantity: 1 }] },
    });
    expect(awaiting.data).not.toHaveProperty('items.0.unitPriceCents');

    await h.fulfillment.publish(OrderShipped, { orderId }, { causedBy: awaiting });
    await untilStatus(h, orderId, 'COMPLETED_SUCCESSFULLY');
    await waitFor(async () => (await eventsOf(h, orderId)).length === 3);
    expect((await eventsOf(h, orderId))[2]).toMatchObject({ type: 'OrderCompleted', data: { orderId, userId: user, totalCents: 3_000 } });

    // The reservation's final deduction is acknowledged and changes nothing.
    await h.payments.publish(PaymentCaptured, { orderId, userId: user, amountCents: 3_000 });
    await h.drained(PAYMENTS_STREAM);
    const order = (await h.get(`/orders/${orderId}`)).body;
    expect(order).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', failureReason: null });
    expect((order.history as Array<{ status: string }>).map((entry) => entry.status))
      .toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'COMPLETED_SUCCESSFULLY']);
    expect(await eventsOf(h, orderId)).toHaveLength(3);
  });

  it('unshippable product: … → AWAITING_REFUND → COMPLETED_WITH_FAILURE, OrderFailed carries the shipment reason', async () => {
    const h = t.current;
    const orderId = await place(h);
    await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'US' });
    await untilStatus(h, orderId, 'AWAITING_SHIPMENT');
    await h.fulfillment.publish(ShipmentFailed, { orderId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: ['prod-b'] });
    await untilStatus(h, orderId, 'AWAITING_REFUND');
    expect((await h.get(`/orders/${orderId}`)).body.failureReason).toBe('SHIPMENT_FAILED_BANNED_PRODUCT');
    await h.payments.publish(PaymentRefunded, { orderId, userId: user, amountCents: 3_000 });
    await untilStatus(h, orderId, 'COMPLETED_WITH_FAILURE');
    await waitFor(async () => (await eventsOf(h, orderId)).length === 4);
    expect((await eventsOf(h, orderId)).map((event) => [event.type, event.data])).toEqual([
      ['OrderPlaced', expect.anything()],
      ['OrderAwaitingShipment', expect.objectContaining({ country: 'US' })],
      ['OrderRefundRequested', { orderId, userId: user, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }],
      ['OrderFailed', { orderId, userId: user, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }],
    ]);
    const order = (await h.get(`/orders/${orderId}`)).body;
    expect(order.failureReason).toBe('SHIPMENT_FAILED_BANNED_PRODUCT');
    expect((order.history as Array<{ status: string }>).map((entry) => entry.status))
      .toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'AWAITING_REFUND', 'COMPLETED_WITH_FAILURE']);
  });

  it('a redelivered event (same id) is applied once; an event for an unknown order is retried, then dead-lettered', async () => {
    const h = t.current;
    const orderId = await place(h);
    const reserved = h.payments.envelope(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'GB' });
    await h.payments.publishEnvelopes([reserved, reserved]);
    await h.payments.publishEnvelopes([reserved]);
    await h.drained(PAYMENTS_STREAM);
    await waitFor(async () => (await h.service.outbox.backlog()) === 0);
    const events = await eventsOf(h, orderId);
    expect(events.map((event) => event.type)).toEqual(['OrderPlaced', 'OrderAwaitingShipment']);
    // The output's id is derived from its cause, so even a re-publish after a crash would carry the same id.
    expect(events[1]!.id).toBe(deriveEventId(reserved.id, 'OrderAwaitingShipment'));
    const history = (await h.get(`/orders/${orderId}`)).body.history as unknown[];
    expect(history).toHaveLength(2);

    // Orders commit before their events, so an unknown order never becomes known: the operator must see it.
    await h.fulfillment.publish(OrderShipped, { orderId: 'no-such-order' });
    await waitFor(async () => Number(await h.probe.sendCommand(['XLEN', '{fulfillment:events}:dlq'])) === 1, { timeoutMs: 15_000 });
    await h.drained('fulfillment:events');
  });

  it('a batch of saga events for several orders, one order twice and an unknown order in the middle, ends as one by one would', async () => {
    const h = t.current;
    const [paid, blocked, refunded] = [await place(h), await place(h), await place(h)];
    await h.payments.publish(PaymentReserved, { orderId: refunded, userId: user, amountCents: 3_000, country: 'GB' });
    await untilStatus(h, refunded, 'AWAITING_SHIPMENT');
    await h.fulfillment.publish(ShipmentFailed, { orderId: refunded, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: [] });
    await untilStatus(h, refunded, 'AWAITING_REFUND');
    // One XADD pipeline: the consumer reads them as one batch, the set-based handler gets them in one call.
    await h.payments.publishEnvelopes([
      h.payments.envelope(PaymentReserved, { orderId: paid, userId: user, amountCents: 3_000, country: 'GB' }),
      h.payments.envelope(PaymentFailed, { orderId: blocked, userId: user, reason: 'FAILED_PAYMENT_NO_FUNDS' }),
      h.payments.envelope(PaymentReserved, { orderId: 'no-such-order', userId: user, amountCents: 1, country: 'GB' }),
      h.payments.envelope(PaymentRefunded, { orderId: refunded, userId: user, amountCents: 3_000 }),
      // Too late for `blocked` (now terminal): changes nothing.
      h.payments.envelope(PaymentReserved, { orderId: blocked, userId: user, amountCents: 3_000, country: 'GB' }),
    ]);
    await untilStatus(h, paid, 'AWAITING_SHIPMENT');
    await untilStatus(h, blocked, 'BLOCKED_NO_FUNDS');
    await untilStatus(h, refunded, 'COMPLETED_WITH_FAILURE');
    await waitFor(async () => Number(await h.probe.sendCommand(['XLEN', '{accounts:payments}:dlq'])) === 1, { timeoutMs: 15_000, description: 'the unknown order dead-lettered' });
    await h.drained(PAYMENTS_STREAM);
    await waitFor(async () => (await h.service.outbox.backlog()) === 0);
    const historyOf = async (orderId: string) => ((await h.get(`/orders/${orderId}`)).body.history as Array<{ status: string }>).map((entry) => entry.status);
    expect(await historyOf(paid)).toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT']);
    expect(await historyOf(blocked)).toEqual(['AWAITING_PAYMENT', 'BLOCKED_NO_FUNDS']);
    expect(await historyOf(refunded)).toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'AWAITING_REFUND', 'COMPLETED_WITH_FAILURE']);
    expect((await eventsOf(h, paid)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderAwaitingShipment']);
    expect((await eventsOf(h, blocked)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderBlocked']);
    expect((await eventsOf(h, refunded)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderAwaitingShipment', 'OrderRefundRequested', 'OrderFailed']);
  });

  it('upgrade: payments found on accounts:events (published there before they moved) still move the saga, once even when seen on both streams', async () => {
    const h = t.current;
    const [paid, failed] = [await place(h), await place(h)];
    // What an accounts from before the move wrote, or its outbox left behind: payment events on the user stream.
    const formerly = createPublisher({ redis: h.probe, service: 'accounts', stream: FORMER_PAYMENTS_STREAM });
    const reserved = formerly.envelope(formerlyOn(PaymentReserved, FORMER_PAYMENTS_STREAM), { orderId: paid, userId: user, amountCents: 3_000, country: 'GB' });
    await formerly.publishEnvelopes([reserved, formerly.envelope(formerlyOn(PaymentFailed, FORMER_PAYMENTS_STREAM), { orderId: failed, userId: user, reason: 'FAILED_PAYMENT_NO_FUNDS' })]);
    await untilStatus(h, paid, 'AWAITING_SHIPMENT');
    await untilStatus(h, failed, 'BLOCKED_NO_FUNDS');
    // The same event again on the new stream (an outbox re-send across the upgrade): already handled.
    await h.payments.publishEnvelopes([reserved]);
    await h.drained(PAYMENTS_STREAM);
    await h.drained(FORMER_PAYMENTS_STREAM);
    await waitFor(async () => (await h.service.outbox.backlog()) === 0);
    expect((await eventsOf(h, paid)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderAwaitingShipment']);
    expect((await eventsOf(h, failed)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderBlocked']);
    expect(Number(await h.probe.sendCommand(['EXISTS', '{accounts:events}:dlq', '{accounts:payments}:dlq']))).toBe(0);
  });

  it('a PaymentReserved for another sum than the order total moves nothing and is dead-lettered with the reason', async () => {
    const h = t.current;
    const orderId = await place(h);
    await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 2_999, country: 'GB' });
    const letter = await waitFor(async () => (await listDeadLetters(h.probe, PAYMENTS_STREAM)).find((candidate) => candidate.error.includes(orderId)) ?? null, {
      timeoutMs: 15_000,
      description: 'the mismatched reservation dead-lettered',
    });
    expect(letter.error).toContain('reserves 2999 cents, the order\'s total is 3000');
    expect(await statusOf(h, orderId)).toBe('AWAITING_PAYMENT');
    expect((await eventsOf(h, orderId)).map((event) => event.type)).toEqual(['OrderPlaced']);
  });

  it('insufficient funds → BLOCKED_NO_FUNDS; late, duplicate and out-of-order events change nothing and are not errors', async () => {
    const h = t.current;
    const orderId = await place(h);
    // Out of order: shipment outcomes and a refund before any payment.
    await h.fulfillment.publish(OrderShipped, { orderId });
    await h.fulfillment.publish(ShipmentFailed, { orderId, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: [] });
    await h.payments.publish(PaymentRefunded, { orderId, userId: user, amountCents: 3_000 });
    await h.drained('fulfillment:events');
    await h.drained(PAYMENTS_STREAM);
    expect(await statusOf(h, orderId)).toBe('AWAITING_PAYMENT');

    const failed = h.payments.envelope(PaymentFailed, { orderId, userId: user, reason: 'FAILED_PAYMENT_NO_FUNDS' });
    await h.payments.publishEnvelopes([failed]);
    await untilStatus(h, orderId, 'BLOCKED_NO_FUNDS');
    await waitFor(async () => (await eventsOf(h, orderId)).length === 2);
    expect((await eventsOf(h, orderId))[1]).toMatchObject({ type: 'OrderBlocked', data: { orderId, userId: user, reason: 'FAILED_PAYMENT_NO_FUNDS' } });
    // Late: a different PaymentReserved (new id) after the order is blocked; terminal stays terminal.
    await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'GB' });
    await h.fulfillment.publish(OrderShipped, { orderId });
    await h.payments.publishEnvelopes([failed]); // and a redelivery of the failure itself
    await h.drained(PAYMENTS_STREAM);
    await h.drained('fulfillment:events');
    await waitFor(async () => (await h.service.outbox.backlog()) === 0);

    const order = (await h.get(`/orders/${orderId}`)).body;
    expect(order).toMatchObject({ status: 'BLOCKED_NO_FUNDS', failureReason: 'FAILED_PAYMENT_NO_FUNDS' });
    expect((order.history as Array<{ status: string }>).map((entry) => entry.status)).toEqual(['AWAITING_PAYMENT', 'BLOCKED_NO_FUNDS']);
    expect((await eventsOf(h, orderId)).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderBlocked']);
    // Nothing went to a dead-letter stream: ignoring is not failing.
    expect(Number(await h.probe.sendCommand(['EXISTS', '{accounts:payments}:dlq', '{fulfillment:events}:dlq']))).toBe(0);
  });
});

describe.each(testDatabases())('GET /orders/:id?waitMs= ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('answers once the order is final (woken by the commit, or by its recheck)', async () => {
    const h = t.current;
    const orderId = await place(h);
    await waitFor(async () => (await eventsOf(h, orderId)).length === 1);
    const [placed] = await eventsOf(h, orderId);
    // Asked before anything happened; its deadline is far beyond this test's own timeout.
    const waiting = h.get(`/orders/${orderId}?waitMs=20000`);
    await h.payments.publish(PaymentReserved, { orderId, userId: user, amountCents: 3_000, country: 'GB' }, { causedBy: placed });
    await waitFor(async () => (await eventsOf(h, orderId)).length === 2);
    const awaiting = (await eventsOf(h, orderId))[1] as Envelope;
    await h.fulfillment.publish(OrderShipped, { orderId }, { causedBy: awaiting });
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('COMPLETED_SUCCESSFULLY');
    // The whole order as it is at the end, its timeline included.
    expect((answer.body.history as Array<{ status: string }>).map((entry) => entry.status)).toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'COMPLETED_SUCCESSFULLY']);
  });

  it('answers at once for a final or unknown order and refuses a wait beyond 20 s', async () => {
    const h = t.current;
    expect((await h.get('/orders/00000000-0000-4000-8000-000000000000?waitMs=20000')).status).toBe(404);
    expect((await h.get('/orders/00000000-0000-4000-8000-000000000000?waitMs=20001')).status).toBe(400);
    const orderId = await place(h);
    // Not final within the wait: the order as it is then.
    expect((await h.get(`/orders/${orderId}?waitMs=50`)).body.status).toBe('AWAITING_PAYMENT');
  });
});
