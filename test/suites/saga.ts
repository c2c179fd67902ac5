import { beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, groupsOf } from 'tributary';
import { waitFor } from 'tributary/testing';
import { finalOrder, type TestSystem } from '../support/system.ts';

interface Order {
  id: string;
  status: string;
  totalCents: number;
  failureReason: string | null;
  history: Array<{ status: string; at: string }>;
}
interface Account {
  availableCents: number;
  reservedCents: number;
  spentCents: number;
}

/** The saga through the HTTP API of `system()`, a whole system on `database`. */
export function sagaSuite(database: 'pglite' | 'postgres', system: () => TestSystem): void {
  describe(`the order saga through the HTTP API (${database})`, () => {
    let t: TestSystem;
    beforeAll(() => {
      t = system();
    });

    let serial = 0;
    async function user(balanceCents: number, country = 'US') {
      serial++;
      const created = await t.api<{ id: string }>('POST', '/api/users', { name: `Customer ${serial}`, email: `c${serial}-${database}@example.com`, country, balanceCents });
      expect(created.status).toBe(201);
      return created.body.id;
    }
    async function product(priceCents: number, stock: number, bannedCountries: string[] = []) {
      serial++;
      const created = await t.api<{ id: string }>('POST', '/api/products', { sku: `SKU-${serial}`, name: `Product ${serial}`, priceCents, stock, bannedCountries });
      expect(created.status).toBe(201);
      return created.body.id;
    }
    async function order(userId: string, items: Array<{ productId: string; quantity: number }>, headers: Record<string, string> = {}) {
      const placed = await t.api<{ orderId: string; status: string }>('POST', '/api/orders', { userId, items }, headers);
      expect(placed.status).toBe(202);
      expect(placed.body.status).toBe('AWAITING_PAYMENT');
      return placed.body.orderId;
    }
    const settled = (orderId: string) => finalOrder<Order>(t.api, orderId);
    async function account(userId: string) {
      return (await t.api<Account>('GET', `/api/users/${userId}/account`)).body;
    }

    it('completes a normal order and deducts the reservation', async () => {
      const userId = await user(10_000);
      const productId = await product(1_250, 5);
      const final = await settled(await order(userId, [{ productId, quantity: 2 }]));
      expect(final.status).toBe('COMPLETED_SUCCESSFULLY');
      expect(final.totalCents).toBe(2_500);
      expect(final.history.map((step) => step.status)).toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'COMPLETED_SUCCESSFULLY']);
      await waitFor(async () => (await account(userId)).spentCents === 2_500, { description: 'reservation deducted' });
      expect(await account(userId)).toMatchObject({ availableCents: 7_500, reservedCents: 0, spentCents: 2_500 });
    });

    it('blocks an order the user cannot pay, and fulfillment never acts', async () => {
      const userId = await user(500);
      const productId = await product(1_000, 3);
      const final = await settled(await order(userId, [{ productId, quantity: 1 }]));
      expect(final.status).toBe('BLOCKED_NO_FUNDS');
      expect(final.failureReason).toBe('FAILED_PAYMENT_NO_FUNDS');
      expect(final.history.map((step) => step.status)).toEqual(['AWAITING_PAYMENT', 'BLOCKED_NO_FUNDS']);
      expect(await account(userId)).toMatchObject({ availableCents: 500, reservedCents: 0, spentCents: 0 });
      // Fulfillment learns of the product from catalog's event, maybe after the order was already blocked.
      const stock = await waitFor(
        async () => {
          const response = await t.serviceFetch(`${t.system.urls.fulfillment}/stock/${productId}`);
          return response.status === 200 ? ((await response.json()) as { stock: number }) : null;
        },
        { description: `fulfillment knows product ${productId}` },
      );
      expect(stock.stock).toBe(3);
    });

    it('refunds an unshippable order (haggis to the US) and counts the failure', async () => {
      const userId = await user(5_000, 'US');
      const haggis = await product(900, 10, ['US']);
      const final = await settled(await order(userId, [{ productId: haggis, quantity: 1 }]));
      expect(final.status).toBe('COMPLETED_WITH_FAILURE');
      expect(final.failureReason).toBe('SHIPMENT_FAILED_BANNED_PRODUCT');
      expect(final.history.map((step) => step.status)).toEqual(['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'AWAITING_REFUND', 'COMPLETED_WITH_FAILURE']);
      expect(await account(userId)).toMatchObject({ availableCents: 5_000, reservedCents: 0, spentCents: 0 });
      await waitFor(async () => {
        const failures = await t.api<{ counts: Record<string, number> }>('GET', '/api/monitoring/order-failures');
        return (failures.body.counts.SHIPMENT_FAILED_BANNED_PRODUCT ?? 0) >= 1;
      }, { description: 'monitoring counted the banned product' });
    });

    it('refunds an order that is out of stock', async () => {
      const userId = await user(5_000, 'GB');
      const scarce = await product(100, 1);
      const final = await settled(await order(userId, [{ productId: scarce, quantity: 2 }]));
      expect(final.status).toBe('COMPLETED_WITH_FAILURE');
      expect(final.failureReason).toBe('SHIPMENT_FAILED_OUT_OF_STOCK');
      expect(await account(userId)).toMatchObject({ availableCents: 5_000, reservedCents: 0, spentCents: 0 });
    });

    it('honours Idempotency-Key: a retried POST yields the same order', async () => {
      const userId = await user(10_000);
      const productId = await product(100, 50);
      const headers = { 'idempotency-key': `retry-${database}-${Date.now()}` };
      const first = await order(userId, [{ productId, quantity: 1 }], headers);
      const again = await t.api<{ orderId: string }>('POST', '/api/orders', { userId, items: [{ productId, quantity: 1 }] }, headers);
      expect(again.status).toBe(202);
      expect(again.body.orderId).toBe(first);
      await settled(first);
      // The deduction follows OrderCompleted asynchronously; one order means 100 spent, never 200.
      await waitFor(async () => (await account(userId)).spentCents === 100, { description: 'reservation deducted once' });
      expect(await account(userId)).toMatchObject({ spentCents: 100, reservedCents: 0 });
    });

    it('rejects bad input with a 4xx and writes nothing', async () => {
      const userId = await user(1_000);
      const productId = await product(100, 5);
      const cases: Array<[string, string, unknown, number]> = [
        ['POST', '/api/users', { name: 'x', email: 'not-an-email', country: 'US', balanceCents: 1 }, 400],
        ['POST', '/api/users', { name: 'x', email: 'a@b.c', country: 'US', balanceCents: -5 }, 400],
        ['POST', '/api/users', '{"name": ', 400],
        ['POST', '/api/products', { sku: 'S', name: 'n', priceCents: 1.5, stock: 1 }, 400],
        ['POST', '/api/orders', { userId, items: [] }, 400],
        ['POST', '/api/orders', { userId, items: [{ productId, quantity: 0 }] }, 400],
        ['POST', '/api/orders', { userId: 'nobody', items: [{ productId, quantity: 1 }] }, 422],
        ['POST', '/api/orders', { userId, items: [{ productId: 'nothing', quantity: 1 }] }, 422],
        ['GET', '/api/orders/does-not-exist', undefined, 404],
        ['GET', '/api/users/..%2f..', undefined, 400],
      ];
      for (const [method, path, body, status] of cases) {
        const answer = await t.api<{ error: string; message: string }>(method, path, body);
        expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
        expect(typeof answer.body.error).toBe('string');
        expect(typeof answer.body.message).toBe('string');
      }
      expect(await account(userId)).toMatchObject({ availableCents: 1_000, reservedCents: 0, spentCents: 0 });
    });

    it('places an order for a known user and products while accounts and the catalog are both stopped; it completes once they are back', async () => {
      const userId = await user(10_000, 'GB');
      const productId = await product(700, 10);
      // Ordering has copied both once its group has read and acked everything on their streams.
      const bus = await connectRedis(t.system.busRedisUrl);
      try {
        for (const stream of ['accounts:events', 'catalog:events']) {
          await waitFor(async () => {
            const group = (await groupsOf(bus, stream)).find((info) => info.name === 'ordering');
            return group !== undefined && group.lag === 0 && group.pending === 0;
          }, { description: `ordering has read ${stream}` });
        }
      } finally {
        await bus.close();
      }
      const accounts = t.system.process('accounts');
      const catalog = t.system.process('catalog');
      await Promise.all([accounts.pause(), catalog.pause()]);
      let orderId: string;
      try {
        expect((await t.api('GET', `/api/users/${userId}`)).status).toBe(503);
        orderId = await order(userId, [{ productId, quantity: 2 }]);
        expect((await t.api<Order>('GET', `/api/orders/${orderId}`)).body).toMatchObject({ status: 'AWAITING_PAYMENT', totalCents: 1_400 });
      } finally {
        accounts.resume();
        catalog.resume();
      }
      await Promise.all([t.system.waitReady('accounts'), t.system.waitReady('catalog')]);
      const final = await settled(orderId);
      expect(final.status).toBe('COMPLETED_SUCCESSFULLY');
      expect(final.totalCents).toBe(1_400);
    });

    it('serves health, readiness, metrics and the OpenAPI document', async () => {
      expect((await t.api('GET', '/healthz')).status).toBe(200);
      expect((await t.api('GET', '/readyz')).status).toBe(200);
      const metrics = await fetch(`${t.system.gatewayUrl}/metrics`).then((response) => response.text());
      expect(metrics).toContain('tributary_group_pending');
      const openapi = await t.api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs/json');
      expect(openapi.body.paths).toHaveProperty('/api/orders');
    });

    // Last: every service ran as its own ACL user (docs/least-privilege.md) through all of the above.
    it('ran every service as its own Redis user, and the ACL refused none of them anything', async () => {
      expect(t.system.redisUsers).toEqual({ bus: true, store: true });
      for (const server of [t.bus, t.store]) {
        const admin = await connectRedis(server.url);
        try {
          expect(await admin.sendCommand(['ACL', 'LOG'])).toEqual([]);
          // The gateway uses both servers: each of its connections is logged in as itself.
          const gateway = String(await admin.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((line) => / name=gateway:/.test(line));
          expect(gateway.length).toBeGreaterThan(0);
          for (const line of gateway) expect(line).toMatch(/ user=gateway /);
        } finally {
          await admin.close();
        }
      }
    });
  });
}
