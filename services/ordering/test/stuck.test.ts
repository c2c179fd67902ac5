import { describe, expect, it } from 'vitest';
import { PaymentRefunded, PaymentReserved } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { newOrder, useOrdering, user, type Harness } from './harness.ts';

async function place(h: Harness): Promise<string> {
  const placed = await h.post(newOrder());
  expect(placed.status).toBe(202);
  return String(placed.body.orderId);
}

const statusOf = async (h: Harness, orderId: string) => String((await h.get(`/orders/${orderId}`)).body.status);

/** As if the order had not moved for an hour (the default stuck time is 15 minutes). */
const age = (h: Harness, orderId: string) => h.db.query("UPDATE orders SET updated_at = now() - interval '1 hour' WHERE id = $1", [orderId]);

const resolve = async (h: Harness, orderId: string) => {
  const response = await h.service.app.inject({ method: 'POST', url: `/stuck-orders/${orderId}/resolve` });
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
};

describe.each(testDatabases())('stuck orders ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('counts and lists orders open too long, and an operator ends one stuck awaiting shipment through the refund path', async () => {
    const h = t.current;
    const shipping = await place(h);
    const paying = await place(h);
    const fresh = await place(h);
    await h.payments.publish(PaymentReserved, { orderId: shipping, userId: user, amountCents: 3_000, country: 'GB' });
    await waitFor(async () => (await statusOf(h, shipping)) === 'AWAITING_SHIPMENT', { description: 'paid' });
    await age(h, shipping);
    await age(h, paying);

    const listed = await h.get('/stuck-orders');
    expect(listed.body.counts).toEqual({ AWAITING_PAYMENT: 1, AWAITING_SHIPMENT: 1, AWAITING_REFUND: 0 });
    expect((listed.body.items as Array<{ id: string }>).map((item) => item.id).sort()).toEqual([paying, shipping].sort());
    const metrics = (await h.service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('tributary_orders_stuck{status="AWAITING_SHIPMENT",service="ordering"} 1');
    expect(metrics).toContain('tributary_orders_stuck{status="AWAITING_PAYMENT",service="ordering"} 1');

    // Refused, changing nothing: a fresh order, one waiting for accounts, one that does not exist.
    expect(await resolve(h, fresh)).toMatchObject({ status: 409, body: { error: 'ORDER_NOT_STUCK' } });
    expect(await resolve(h, paying)).toMatchObject({ status: 409, body: { error: 'ORDER_WAITS_FOR_ACCOUNTS' } });
    expect(await resolve(h, 'no-such-order')).toMatchObject({ status: 404 });
    expect(await statusOf(h, paying)).toBe('AWAITING_PAYMENT');

    expect(await resolve(h, shipping)).toEqual({ status: 200, body: { orderId: shipping, status: 'AWAITING_REFUND' } });
    // Twice is once: the order is no longer stuck.
    expect((await resolve(h, shipping)).status).toBe(409);
    const requested = await waitFor(async () => {
      const events = (await h.orderingEvents()).filter((event) => event.type === 'OrderRefundRequested' && (event.data as { orderId: string }).orderId === shipping);
      return events.length > 0 ? events : null;
    }, { description: 'the refund requested' });
    expect(requested).toHaveLength(1);
    expect(requested[0]?.data).toMatchObject({ orderId: shipping, reason: 'FAILED_STUCK_RESOLVED_BY_OPERATOR' });

    // The rest is the saga's own path: accounts refunds, the order ends failed with the operator's reason.
    await h.payments.publish(PaymentRefunded, { orderId: shipping, userId: user, amountCents: 3_000 });
    await waitFor(async () => (await statusOf(h, shipping)) === 'COMPLETED_WITH_FAILURE', { description: 'refunded' });
    expect((await h.get(`/orders/${shipping}`)).body.failureReason).toBe('FAILED_STUCK_RESOLVED_BY_OPERATOR');
    expect((await h.get('/stuck-orders')).body.counts).toEqual({ AWAITING_PAYMENT: 1, AWAITING_SHIPMENT: 0, AWAITING_REFUND: 0 });
  });
});
