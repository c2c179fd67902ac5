import { randomUUID } from 'node:crypto';
import { OrderCompleted, OrderPlaced, OrderRefundRequested, PAYMENTS_STREAM } from '@tributary/contracts';
import { describe, expect, it } from 'vitest';
import { readEnvelopes, testDatabases } from 'tributary/testing';
import { useAccounts, waitForPayments, waitUntilConsumed } from './harness.ts';

const ORDERS = 50;
const BALANCE = 10_000;

describe.each(testDatabases())('accounts under concurrency on $kind', (entry) => {
  const t = useAccounts(entry);

  it(`${ORDERS} orders for one user across two instances never overdraw, and settle exactly once`, async () => {
    const h = await t.setup();
    // PGlite is one process's database: the second instance shares it. A
    // server gets a second instance with its own pool, as in production.
    const second = await h.startInstance(entry.kind === 'postgres' ? await h.openDatabase() : h.db);
    const userId = (
      await h.accounts.app.inject({ method: 'POST', url: '/users', payload: { name: 'Spender', email: 'spender@example.com', country: 'DE', balanceCents: BALANCE } })
    ).json().id as string;

    // Varied amounts adding up to well over the balance, so some must fail.
    const amounts = Array.from({ length: ORDERS }, (_, i) => 100 + ((i * 137) % 500));
    const orders = amounts.map((totalCents) =>
      h.ordering.envelope(OrderPlaced, { orderId: randomUUID(), userId, items: [{ productId: randomUUID(), quantity: 1, unitPriceCents: totalCents }], totalCents }),
    );
    await h.ordering.publishEnvelopes(orders);
    await waitForPayments(h.bus, ORDERS);

    const events = await readEnvelopes(h.bus, PAYMENTS_STREAM);
    expect(events).toHaveLength(ORDERS);
    const outcome = new Map(events.map((event) => [(event.data as { orderId: string }).orderId, event.type]));
    expect(outcome.size).toBe(ORDERS);
    const reserved = orders.filter((order) => outcome.get(order.data.orderId) === 'PaymentReserved');
    const failed = orders.filter((order) => outcome.get(order.data.orderId) === 'PaymentFailed');
    const reservedTotal = reserved.reduce((sum, order) => sum + order.data.totalCents, 0);
    expect(reservedTotal).toBeLessThanOrEqual(BALANCE);
    expect(failed.length).toBeGreaterThan(0);

    const account = async () => (await h.accounts.app.inject({ method: 'GET', url: `/users/${userId}/account` })).json();
    const afterPlacing = await account();
    expect(afterPlacing).toEqual({ userId, availableCents: BALANCE - reservedTotal, reservedCents: reservedTotal, spentCents: 0 });
    // Available only went down, so every failure was truly for lack of funds.
    for (const order of failed) expect(order.data.totalCents).toBeGreaterThan(afterPlacing.availableCents);

    // Settle every reservation, each command delivered twice, half captured and half refunded.
    const settle = reserved.map((order, i) =>
      i % 2 === 0
        ? h.ordering.envelope(OrderCompleted, { orderId: order.data.orderId, userId, totalCents: order.data.totalCents })
        : h.ordering.envelope(OrderRefundRequested, { orderId: order.data.orderId, userId, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' }),
    );
    await h.ordering.publishEnvelopes([...settle, ...settle]);
    await waitUntilConsumed(h.bus, 'ordering:events');
    await waitForPayments(h.bus, ORDERS + reserved.length);

    const spent = reserved.filter((_, i) => i % 2 === 0).reduce((sum, order) => sum + order.data.totalCents, 0);
    expect(await account()).toEqual({ userId, availableCents: BALANCE - spent, reservedCents: 0, spentCents: spent });
    const settled = (await readEnvelopes(h.bus, PAYMENTS_STREAM)).filter((event) => event.type === 'PaymentCaptured' || event.type === 'PaymentRefunded');
    expect(settled).toHaveLength(reserved.length);
    expect(new Set(settled.map((event) => (event.data as { orderId: string }).orderId)).size).toBe(reserved.length);
    await second.close();
  });
});
