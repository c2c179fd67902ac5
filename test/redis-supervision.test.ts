import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { startSystem, type RunningSystem } from '@tributary/launcher';
import { freePort, waitFor } from 'tributary/testing';
import { gatewayApi, TEST_SYSTEM_ENV, type GatewayApi, type OrderReply as Order, type AccountReply as Account } from './support/system.ts';

const BALANCE = 100_000;
const ORDERS = 30;

/**
 * The launcher's own Redis servers are supervised like its services: a
 * kill -9 of the bus redis-server in the middle of a burst of orders is
 * healed without a person (restarted on the same port and AOF), and every
 * order still reaches its final state with money conserved.
 */
describe('supervised Redis', { timeout: 400_000 }, () => {
  let system: RunningSystem;
  let api: GatewayApi;
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-supervised-redis-'));
  beforeAll(async () => {
    system = await startSystem({ rootDir: resolve(import.meta.dirname, '..'), dataDir, gatewayPort: await freePort(), env: TEST_SYSTEM_ENV, readyTimeoutMs: 150_000 });
    api = gatewayApi(system.gatewayUrl, system.adminKey);
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts the bus redis-server killed under load, and every order ends', async () => {
    const busRedis = system.redis('bus');
    expect(busRedis).toBeDefined();
    const user = await api<{ id: string }>('POST', '/api/users', { name: 'Kim', email: 'kim@example.com', country: 'GB', balanceCents: BALANCE });
    const product = await api<{ id: string }>('POST', '/api/products', { sku: 'KETTLE', name: 'Kettle', priceCents: 1_000, stock: 1_000, bannedCountries: [] });
    expect([user.status, product.status]).toEqual([201, 201]);

    const orderIds: string[] = [];
    // A POST the gateway could not complete (503 while a service reconnects) is retried with its key: never a second order.
    const place = async (i: number) => {
      const placed = await waitFor(
        async () => {
          const answer = await api<{ orderId: string }>('POST', '/api/orders', { userId: user.body.id, items: [{ productId: product.body.id, quantity: 1 }] }, { 'idempotency-key': `supervised-${i}` });
          return answer.status === 503 ? null : answer;
        },
        { timeoutMs: 120_000, intervalMs: 100, description: `order ${i} accepted` },
      );
      expect(placed.status).toBe(202);
      orderIds.push(placed.body.orderId);
    };
    await Promise.all(Array.from({ length: ORDERS / 2 }, (_, i) => place(i)));
    await busRedis?.process.signal('SIGKILL');
    await Promise.all(Array.from({ length: ORDERS / 2 }, (_, i) => place(ORDERS / 2 + i)));
    await busRedis?.waitReady(60_000);
    expect(busRedis?.process.restartCount).toBeGreaterThanOrEqual(1);

    const orders = await waitFor(
      async () => {
        const all = await Promise.all(orderIds.map((id) => api<Order>('GET', `/api/orders/${id}`)));
        return all.every((answer) => TERMINAL_STATUSES.includes(answer.body.status as never)) ? all.map((answer) => answer.body) : null;
      },
      { timeoutMs: 180_000, intervalMs: 250, description: 'every order final after the bus came back' },
    );
    expect(orders).toHaveLength(ORDERS);
    expect(orders.every((order) => order.status === 'COMPLETED_SUCCESSFULLY')).toBe(true);
    const spent = orders.reduce((sum, order) => sum + order.totalCents, 0);
    const account = await waitFor(
      async () => {
        const current = (await api<Account>('GET', `/api/users/${user.body.id}/account`)).body;
        return current.spentCents === spent && current.reservedCents === 0 ? current : null;
      },
      { timeoutMs: 90_000, description: 'every reservation deducted once' },
    );
    expect(account.availableCents + account.reservedCents + account.spentCents).toBe(BALANCE);

    const services = await api<{ services: Array<{ name: string; up: boolean }> }>('GET', '/api/system/services');
    expect(services.body.services.find((row) => row.name === 'bus-redis')).toMatchObject({ up: true });
  });
});
