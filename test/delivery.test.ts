import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { startTestSystem, type TestSystem } from './support/system.ts';

interface Order {
  id: string;
  status: string;
  deliveryId: string | null;
}
interface Delivery {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: string;
  droneId: string | null;
  steps: Array<{ status: string; at: string }>;
}
interface History {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: string;
  steps: Array<{ status: string; at: string }>;
  finishedAt: string;
  durationSeconds: number;
}
interface Package {
  packageId: string;
  orderId: string;
  userId: string;
  tags: string[];
  items: Array<{ productId: string; quantity: number }>;
}

/**
 * An order placed through the gateway ends delivered by a (simulated) drone:
 * package, delivery, live status and history agree. Every service is a real
 * process; the simulator flies fast (DRONE_TIME_SCALE) and never fails here.
 */
describe('drone delivery through the HTTP API', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('delivers a shipped order, and package, delivery and history agree', async () => {
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: 'Dora Drone', email: 'dora@example.com', country: 'GB', balanceCents: 50_000 });
    expect(user.status).toBe(201);
    await t.api('PATCH', `/api/users/${user.body.id}`, { address: '221B Baker Street, London' });
    const tea = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FLY-1', name: 'Tea', priceCents: 450, stock: 10, bannedCountries: [] });
    const ebook = await t.api<{ id: string }>('POST', '/api/products', { sku: 'FLY-2', name: 'E-book', priceCents: 300, stock: 0, bannedCountries: [], digital: true });
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', {
      userId: user.body.id,
      items: [{ productId: tea.body.id, quantity: 2 }, { productId: ebook.body.id, quantity: 1 }],
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId;

    const order = await waitFor(async () => {
      const current = await t.api<Order>('GET', `/api/orders/${orderId}`);
      return current.body.status === 'COMPLETED_SUCCESSFULLY' && current.body.deliveryId ? current.body : null;
    }, { timeoutMs: 60_000, description: 'order completed with a delivery' });
    const deliveryId = order.deliveryId as string;

    const delivered = await waitFor(async () => {
      const live = await t.api<Delivery>('GET', `/api/deliveries/${deliveryId}`);
      return live.status === 200 && live.body.status === 'DELIVERED' ? live.body : null;
    }, { timeoutMs: 60_000, description: 'delivery delivered' });
    expect(delivered.orderId).toBe(orderId);
    expect(delivered.droneId).toBeTruthy();
    expect(delivered.steps.map((step) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);

    // The package holds only what flies: the e-book was mailed.
    const parcel = await t.api<Package>('GET', `/api/packages/${delivered.packageId}`);
    expect(parcel.status).toBe(200);
    expect(parcel.body).toMatchObject({ orderId, userId: user.body.id, items: [{ productId: tea.body.id, quantity: 2 }] });
    const tagged = await t.api<{ items: Package[] }>('GET', `/api/packages?tag=${parcel.body.tags[0]}&limit=100`);
    expect(tagged.body.items.map((item) => item.packageId)).toContain(delivered.packageId);

    const history = await waitFor(async () => {
      const found = await t.api<History>('GET', `/api/deliveries/${deliveryId}/history`);
      return found.status === 200 ? found.body : null;
    }, { timeoutMs: 30_000, description: 'history recorded' });
    expect(history).toMatchObject({ deliveryId, orderId, packageId: delivered.packageId, status: 'DELIVERED' });
    expect(history.steps).toEqual(delivered.steps);
    expect(history.durationSeconds).toBeGreaterThanOrEqual(0);

    // Once the lake writer has flushed, the day's analytics count it.
    const day = history.finishedAt.slice(0, 10);
    await waitFor(async () => {
      const analytics = await t.api<{ totals: { delivered: number } }>('GET', `/api/analytics/deliveries?from=${day}&to=${day}`);
      return analytics.status === 200 && analytics.body.totals.delivered >= 1;
    }, { timeoutMs: 30_000, description: 'the lake counts the delivery' });
  });
});
