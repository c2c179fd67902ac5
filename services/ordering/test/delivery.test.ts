import { describe, expect, it } from 'vitest';
import { DeliveryScheduled, DeliveryStatusChanged } from '@tributary/contracts';
import { deriveEventId, listDeadLetters } from 'tributary';
import { testDatabases, waitFor } from 'tributary/testing';
import { newOrder, useOrdering, type Harness } from './harness.ts';

const warehouse = { lat: 51.5072, lon: -0.1276 };
const dropoff = { lat: 51.52, lon: -0.1 };

function scheduled(h: Harness, orderId: string, deliveryId: string) {
  const packageId = deriveEventId(orderId, 'package');
  return h.delivery.envelope(DeliveryScheduled, { deliveryId, packageId, orderId, pickup: warehouse, dropoff });
}

describe.each(testDatabases())('ordering records the delivery of an order ($kind)', ({ create }) => {
  const t = useOrdering(create);

  it('DeliveryScheduled sets deliveryId once; redeliveries and a second delivery id change nothing', async () => {
    const h = t.current;
    const orderId = String((await h.post(newOrder())).body.orderId);
    expect((await h.get(`/orders/${orderId}`)).body.deliveryId).toBeNull();

    const deliveryId = deriveEventId(deriveEventId(orderId, 'package'), 'delivery');
    const first = scheduled(h, orderId, deliveryId);
    await h.delivery.publishEnvelopes([first, first]);
    await waitFor(async () => (await h.get(`/orders/${orderId}`)).body.deliveryId === deliveryId, { description: 'deliveryId stored' });

    // Another event naming another delivery for the same order: the first one stays.
    await h.delivery.publishEnvelopes([scheduled(h, orderId, 'some-other-delivery'), first]);
    // Status changes travel on the same stream; ordering does not subscribe to them and acks them.
    await h.delivery.publish(DeliveryStatusChanged, {
      deliveryId, packageId: deriveEventId(orderId, 'package'), orderId, status: 'CREATED', at: new Date().toISOString(),
    });
    await h.drained('delivery:events');
    const order = (await h.get(`/orders/${orderId}`)).body;
    expect(order).toMatchObject({ deliveryId, status: 'AWAITING_PAYMENT' });
    expect((order.history as unknown[])).toHaveLength(1);
    expect(await listDeadLetters(h.probe, 'delivery:events')).toEqual([]);
    const handled = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tributary_handled_events WHERE event_id = $1', [first.id]);
    expect(handled.rows[0]?.n).toBe(1);
  });

  it('DeliveryScheduled for an unknown order is retried, then dead-lettered, and writes nothing', async () => {
    const h = t.current;
    await h.delivery.publishEnvelopes([scheduled(h, 'no-such-order', deriveEventId('x', 'delivery'))]);
    const letters = await waitFor(async () => {
      const found = await listDeadLetters(h.probe, 'delivery:events');
      return found.length === 1 ? found : null;
    }, { timeoutMs: 15_000, description: 'dead letter' });
    expect(letters[0]).toMatchObject({ group: 'ordering', handler: 'DeliveryScheduled' });
    expect(letters[0]?.attempts).toBeGreaterThan(1);
    await h.drained('delivery:events');
    const handled = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tributary_handled_events');
    expect(handled.rows[0]?.n).toBe(0);
  });
});
