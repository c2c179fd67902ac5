// The whole system on Redis Cluster: the bus and the store each a 3-master
// cluster of its own (started on loopback with redis-cli --cluster create),
// given as redis+cluster:// URLs. The launcher makes its per-service ACL
// users on every node; every service connects through the kit's cluster
// client, and the shop's saga, a basket checkout, a drone delivery and
// lending requests and returns complete through the gateway. One system
// start for the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem } from '@tributary/launcher';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { passwordFile } from '@tributary/launcher/credentials';
import { connectRedis, forEachNode } from 'tributary';
import { freePort, startRedisCluster, waitFor, type RedisCluster } from 'tributary/testing';
import { runCli } from '../apps/cli/test/harness.ts';
import { finalOrder, gatewayApi, TEST_SYSTEM_ENV, type GatewayApi } from './support/system.ts';

let dir: string;
let bus: RedisCluster | undefined;
let store: RedisCluster | undefined;
let system: Awaited<ReturnType<typeof startSystem>> | undefined;
let api: GatewayApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-cluster-system-'));
  [bus, store] = await Promise.all([startRedisCluster(), startRedisCluster()]);
  system = await startSystem({
    readyTimeoutMs: 230_000,
    rootDir: resolve(import.meta.dirname, '..'),
    dataDir: join(dir, 'data'),
    gatewayPort: await freePort(),
    busRedisUrl: bus.url,
    storeRedisUrl: store.url,
    env: { ...TEST_SYSTEM_ENV },
  });
  api = gatewayApi(system.gatewayUrl, system.adminKey);
}, 330_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all([bus?.stop(), store?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function customer(name: string, email: string) {
  const created = await api<{ id: string }>('POST', '/api/users', { name, email, country: 'GB', balanceCents: 100_000 });
  expect(created.status).toBe(201);
  await api('PATCH', `/api/users/${created.body.id}`, { address: '221B Baker Street, London' });
  return created.body.id;
}

async function product(sku: string, priceCents: number) {
  const created = await api<{ id: string }>('POST', '/api/products', { sku, name: sku, priceCents, stock: 20, bannedCountries: [] });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe('the whole system on two 3-master Redis Clusters', { timeout: 180_000 }, () => {
  it('has each service as its own ACL user on every node of both clusters', async () => {
    const running = system as NonNullable<typeof system>;
    expect(running.redisUsers).toEqual({ bus: true, store: true });
    for (const cluster of [bus, store] as RedisCluster[]) {
      const client = await connectRedis(cluster.url);
      try {
        const users = await forEachNode(client, (node) => node.sendCommand<string[]>(['ACL', 'USERS']));
        expect(users).toHaveLength(3);
        for (const list of users) expect(list).toEqual(expect.arrayContaining(['ordering', 'lending']));
      } finally {
        await client.close();
      }
    }
  });

  it('rotates a service\'s key on every node of both clusters', async () => {
    const rotated = await runCli(['keys', 'rotate', 'ordering', '--bus-url', (bus as RedisCluster).url, '--store-url', (store as RedisCluster).url], { TRIBUTARY_DATA_DIR: join(dir, 'data') });
    expect(rotated.code, rotated.stderr).toBe(0);
    for (const [role, cluster] of [['bus', bus], ['store', store]] as const) {
      const current = readFileSync(passwordFile(join(dir, 'data'), 'ordering', role), 'utf8').trim();
      const client = await connectRedis((cluster as RedisCluster).url);
      try {
        const users = await forEachNode(client, async (node) => node.sendCommand<unknown[]>(['ACL', 'GETUSER', 'ordering']));
        for (const user of users) {
          const passwords = user[user.indexOf('passwords') + 1];
          expect(passwords).toEqual([createHash('sha256').update(current).digest('hex')]);
        }
      } finally {
        await client.close();
      }
    }
  });

  it('completes an order saga with a drone delivery, and a basket checkout', async () => {
    const shopper = await customer('Clara Cluster', 'clara@example.com');
    const tea = await product('CLUSTER-TEA', 450);
    const cakes = await product('CLUSTER-CAKES', 300);
    const placed = await api<{ orderId: string }>('POST', '/api/orders', { userId: shopper, items: [{ productId: tea, quantity: 2 }, { productId: cakes, quantity: 1 }] });
    expect(placed.status).toBe(202);
    const order = await waitFor(async () => {
      const current = await api<{ status: string; deliveryId: string | null }>('GET', `/api/orders/${placed.body.orderId}`);
      return current.body.status === 'COMPLETED_SUCCESSFULLY' && current.body.deliveryId ? current.body : null;
    }, { timeoutMs: 60_000, description: 'order completed with a delivery' });
    const delivered = await waitFor(async () => {
      const live = await api<{ status: string; orderId: string }>('GET', `/api/deliveries/${order.deliveryId as string}`);
      return live.status === 200 && live.body.status === 'DELIVERED' ? live.body : null;
    }, { timeoutMs: 60_000, description: 'delivery delivered' });
    expect(delivered.orderId).toBe(placed.body.orderId);

    const cups = await product('CLUSTER-CUPS', 1_200);
    await waitFor(async () => (await api('PUT', `/api/baskets/${shopper}/items/${cups}`, { quantity: 1 })).status === 200, { description: 'basket knows the user and the product' });
    const checkout = await api<{ orderId: string }>('POST', `/api/baskets/${shopper}/checkout`);
    expect(checkout.status).toBe(202);
    expect(await finalOrder(api, checkout.body.orderId)).toMatchObject({ status: 'COMPLETED_SUCCESSFULLY', totalCents: 1_200 });
  });

  it('decides lending requests and a return through the gateway', async () => {
    const decide = async (path: string, body: unknown) => {
      const requested = await api<{ requestId: string }>('POST', path, body);
      expect(requested.status).toBe(202);
      return waitFor(async () => {
        const current = await api<{ status: string; bookIds?: string[] }>('GET', `/api/lending/requests/${requested.body.requestId}`);
        return current.status === 200 && current.body.status !== 'PENDING' ? current.body : null;
      }, { timeoutMs: 30_000, description: 'lending request decided' });
    };
    expect(await decide('/api/lending/requests', { userId: 'Cleo', bookIds: ['ofmiceandmen', 'dune'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen', 'dune'] });
    expect(await decide('/api/lending/requests', { userId: 'Cato', bookIds: ['dune'] })).toMatchObject({ status: 'REJECTED' });
    expect(await decide('/api/lending/returns', { userId: 'Cleo', bookIds: ['dune'] })).toMatchObject({ status: 'PROCESSED' });
    expect(await decide('/api/lending/requests', { userId: 'Cato', bookIds: ['dune'] })).toMatchObject({ status: 'ACCEPTED', bookIds: ['dune'] });
  });
});
