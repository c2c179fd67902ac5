import { describe, expect, it } from 'vitest';
import { PaymentReserved } from '@tributary/contracts';
import { testDatabases, waitFor } from 'tributary/testing';
import { newOrder, useOrdering, user } from './harness.ts';

describe.each(testDatabases())('ordering outbox with the bus Redis down ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('accepts orders while Redis is down and publishes each event exactly once when it is back', async () => {
    const h = t.current;
    // One order before the outage, carried through a transition, proves the consumers survive it too.
    const before = String((await h.post(newOrder())).body.orderId);
    await waitFor(async () => (await h.orderingEvents()).length === 1);

    await t.redis.kill();
    await waitFor(() => !h.bus.isReady, { description: 'ordering notices the bus is gone' });
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await h.post(newOrder({ userId: `offline-${i}` }));
      expect(reply).toEqual({ status: 202, body: { orderId: expect.any(String), status: 'AWAITING_PAYMENT' } });
      accepted.push(String(reply.body.orderId));
    }
    // The order is readable and its event waits in the outbox.
    expect((await h.get(`/orders/${accepted[0]}`)).body.status).toBe('AWAITING_PAYMENT');
    expect(await h.service.outbox.backlog()).toBe(5);

    // Same port, empty data (no AOF): only the events from the outage can appear.
    t.redis = await t.redis.restart();
    await waitFor(async () => (await h.service.outbox.backlog()) === 0, { timeoutMs: 20_000, description: 'outbox drained' });
    const events = await waitFor(async () => {
      const all = await h.orderingEvents();
      return all.length >= accepted.length ? all : null;
    }, { timeoutMs: 20_000 });
    const placedFor = events.filter((event) => event.type === 'OrderPlaced').map((event) => (event.data as { orderId: string }).orderId);
    expect(placedFor.sort()).toEqual([...accepted].sort());
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The consumers rejoined the recreated streams: the saga moves on.
    await h.payments.publish(PaymentReserved, { orderId: before, userId: user, amountCents: 3_000, country: 'GB' });
    await waitFor(async () => (await h.get(`/orders/${before}`)).body.status === 'AWAITING_SHIPMENT', { timeoutMs: 20_000 });
    await waitFor(async () => (await h.orderingEvents()).some((event) => event.type === 'OrderAwaitingShipment'));
    const final = (await h.orderingEvents()).map((event) => event.id);
    expect(new Set(final).size).toBe(final.length);
  });
});
