import { describe, expect, it } from 'vitest';
import { groupsOf } from 'tributary';
import { waitFor } from 'tributary/testing';
import { OrderAwaitingShipment } from '@tributary/contracts';
import { SERVICE } from '../src/store/keys.ts';
import { useFulfillment } from './harness.ts';

const t = useFulfillment();

describe('stock under concurrency', () => {
  it('200 orders of one unit against stock 50, through two instances: exactly 50 shipped, stock 0, one outcome per order', async () => {
    // Small batches so both instances take a share of the stream at the same time.
    const first = await t.start({ instance: 'fulfillment-a', consumer: { batchSize: 5 } });
    await t.start({ instance: 'fulfillment-b', consumer: { batchSize: 5 } });
    const product = await t.createProduct(first, { stock: 50 });

    const orders = Array.from({ length: 200 }, () => t.order([{ productId: product, quantity: 1 }]));
    await t.ordering.publishEnvelopes(orders);
    const events = await t.waitForOutcomes(200, 20_000);

    const byOrder = new Map<string, string[]>();
    for (const event of events) byOrder.set(event.data.orderId, [...(byOrder.get(event.data.orderId) ?? []), event.type]);
    expect(byOrder.size).toBe(200);
    expect([...byOrder.values()].every((types) => types.length === 1)).toBe(true);
    expect(events.filter((event) => event.type === 'OrderShipped')).toHaveLength(50);
    expect(events.filter((event) => event.type === 'ShipmentFailed').every((event) =>
      'reason' in event.data && event.data.reason === 'SHIPMENT_FAILED_OUT_OF_STOCK')).toBe(true);
    expect(await t.stock(product)).toBe(0);

    // Everything acked, nothing left pending on either instance.
    await waitFor(async () => (await groupsOf(t.bus, OrderAwaitingShipment.stream)).find((group) => group.name === SERVICE)?.pending === 0, {
      description: 'no pending orders',
    });
  });
});
