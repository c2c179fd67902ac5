import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OrderShipped, PackageCreated, ShipmentFailed } from '@tributary/contracts';
import { deriveEventId, listDeadLetters } from 'tributary';
import { testDatabases, waitFor } from 'tributary/testing';
import { distanceKm } from '../src/domain/dropoff.ts';
import { findPackage } from '../src/store/packages-store.ts';
import { TEST_WAREHOUSE, usePackage } from './harness.ts';

async function countPackages(h: { db: { query<R>(text: string): Promise<{ rows: R[] }> } }): Promise<number> {
  const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM packages');
  return rows[0]?.n ?? -1;
}

describe.each(testDatabases())('package from OrderShipped ($kind)', ({ create }) => {
  const t = usePackage(create);

  it('one package and one PackageCreated per order, even when OrderShipped is delivered twice or replayed under a new id', async () => {
    const h = t.current;
    const shipped = h.shipped({
      digitalProductIds: ['ebook-1'],
      physicalItems: [{ productId: 'tea', quantity: 3 }, { productId: 'haggis', quantity: 9 }],
      shipTo: { country: 'GB', address: '10 Downing Street, London' },
    });
    const { orderId, userId } = shipped.data;
    // The same order shipped again under a new event id (a replayed stream, a re-publish).
    const replay = h.fulfillment.envelope(OrderShipped, shipped.data);
    await h.fulfillment.publishEnvelopes([shipped, shipped]);
    await h.fulfillment.publishEnvelopes([replay, shipped]);
    await h.drained();
    await waitFor(async () => (await h.service.outbox.backlog()) === 0, { description: 'outbox empty' });

    const packageId = deriveEventId(orderId, 'package');
    const events = await h.packageEvents();
    expect(events).toHaveLength(1);
    const [created] = events;
    expect(created).toMatchObject({
      type: 'PackageCreated',
      source: 'package',
      id: deriveEventId(shipped.id, 'PackageCreated'),
      causationId: shipped.id,
      correlationId: shipped.correlationId,
    });
    // 12 units: 6 kg, LARGE, heavy; the e-book is not in the parcel.
    expect(created?.data).toEqual({
      packageId,
      orderId,
      userId,
      size: 'LARGE',
      weightGrams: 6_000,
      tags: ['heavy', 'size-large', 'multi-item', 'country-gb'],
      items: [{ productId: 'tea', quantity: 3 }, { productId: 'haggis', quantity: 9 }],
      pickup: TEST_WAREHOUSE,
      dropoff: expect.objectContaining({ lat: expect.any(Number), lon: expect.any(Number) }),
    });
    expect(PackageCreated.validate(created?.data)).toBeNull();
    expect(await countPackages(h)).toBe(1);

    const stored = await findPackage(h.db, packageId);
    expect(stored).toEqual({ ...(created?.data as object), createdAt: expect.any(String) });
    const km = distanceKm(TEST_WAREHOUSE, stored!.dropoff);
    expect(km).toBeGreaterThanOrEqual(0.999);
    expect(km).toBeLessThanOrEqual(8.001);
  });

  it('all-digital orders, entries without physicalItems and failed shipments make no package', async () => {
    const h = t.current;
    await h.fulfillment.publishEnvelopes([
      h.shipped({ digitalProductIds: ['ebook-1'], shipTo: { country: 'GB', address: null } }),
      h.shipped({ digitalProductIds: ['ebook-2'], physicalItems: [], shipTo: { country: 'FR', address: 'x' } }),
      // Written before fulfillment listed physical items.
      h.shipped({}),
    ]);
    await h.fulfillment.publish(ShipmentFailed, { orderId: randomUUID(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: ['tea'] });
    await h.drained();
    expect(await countPackages(h)).toBe(0);
    expect(await h.service.outbox.backlog()).toBe(0);
    expect(await h.packageEvents()).toEqual([]);
    expect(await listDeadLetters(h.probe, 'fulfillment:events')).toEqual([]);
  });

  it('the dropoff follows the address (or the user when there is none), deterministically', async () => {
    const h = t.current;
    const userId = randomUUID();
    const items = [{ productId: 'tea', quantity: 1 }];
    const sameAddressA = h.shipped({ userId, physicalItems: items, shipTo: { country: 'GB', address: '221B Baker Street' } });
    const sameAddressB = h.shipped({ physicalItems: items, shipTo: { country: 'GB', address: '  221b   baker street ' } });
    const noAddressA = h.shipped({ userId, physicalItems: items, shipTo: { country: 'GB', address: null } });
    const noAddressB = h.shipped({ userId, physicalItems: items });
    await h.fulfillment.publishEnvelopes([sameAddressA, sameAddressB, noAddressA, noAddressB]);
    await h.drained();
    const dropoffOf = async (orderId: string) => (await findPackage(h.db, deriveEventId(orderId, 'package')))?.dropoff;
    const [a, b, c, d] = await Promise.all([sameAddressA, sameAddressB, noAddressA, noAddressB].map((event) => dropoffOf(event.data.orderId)));
    expect(a).toBeDefined();
    expect(b).toEqual(a);
    expect(c).toBeDefined();
    expect(d).toEqual(c);
    expect(c).not.toEqual(a);
    // Without a destination the package has no country tag; with one it has.
    const tagsOf = async (orderId: string) => (await findPackage(h.db, deriveEventId(orderId, 'package')))?.tags;
    expect(await tagsOf(noAddressB.data.orderId)).toEqual(['standard', 'size-small']);
    expect(await tagsOf(noAddressA.data.orderId)).toEqual(['standard', 'size-small', 'country-gb']);
  });

  it('physical items without a userId cannot become a package: retried, then dead-lettered, nothing written', async () => {
    const h = t.current;
    const orphan = h.fulfillment.envelope(OrderShipped, { orderId: randomUUID(), physicalItems: [{ productId: 'tea', quantity: 1 }] });
    await h.fulfillment.publishEnvelopes([orphan]);
    const letters = await waitFor(async () => {
      const found = await listDeadLetters(h.probe, 'fulfillment:events');
      return found.length === 1 ? found : null;
    }, { timeoutMs: 15_000, description: 'dead letter' });
    expect(letters[0]).toMatchObject({ group: 'package', handler: 'OrderShipped' });
    expect(letters[0]?.error).toMatch(/no userId/);
    expect(await countPackages(h)).toBe(0);
    expect(await h.packageEvents()).toEqual([]);
  });
});
