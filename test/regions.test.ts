import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@tributary/launcher';
import { connectRedis } from 'tributary';
import { createServerDatabase, freePort, waitFor } from 'tributary/testing';
import { finalOrder, gatewayApi, TEST_SYSTEM_ENV, type GatewayApi } from './support/system.ts';

/**
 * The book's chapter 4 as `npm start -- --regions 2` runs it: two regions,
 * each with its own gateway, region Redis and order-monitoring, on one
 * central bus and central databases. Orders through both gateways converge
 * on both regions' leaderboards and failure counts (Figure 4-1); region b's
 * Redis is killed and kept down while b's order-monitoring writes region a's
 * Redis and b's gateway goes on serving, then b's Redis returns and the two
 * resynchronise (Figure 4-2). With TEST_DATABASE_URL each region also runs a
 * catalog whose product cache is Active/Active (Figure 4-3); on PGlite the
 * catalog stays central and that case is skipped. One system start for the file.
 */
let system: RunningSystem;
let serverDb: Awaited<ReturnType<typeof createServerDatabase>> | null = null;
let dataDir: string;
let apiA: GatewayApi;
let apiB: GatewayApi;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-regions-'));
  serverDb = process.env.TEST_DATABASE_URL ? await createServerDatabase(process.env.TEST_DATABASE_URL) : null;
  system = await startSystem({
    ...(serverDb ? { databaseUrl: serverDb.url } : {}),
    rootDir: resolve(import.meta.dirname, '..'),
    dataDir,
    gatewayPort: await freePort(),
    regions: ['a', 'b'],
    regionGatewayPorts: [await freePort()],
    env: TEST_SYSTEM_ENV,
    // As the other supervised systems: a PGlite service has taken over 60 s to start on a loaded machine.
    readyTimeoutMs: 300_000,
    // The PGlite services as processes: as threads they were seen to stall at their first start on a loaded machine
    // (system.ts, inProcessDatabase), and this file is about the regions, which are threads either way.
    threads: 'on',
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  apiA = gatewayApi(system.region('a').gatewayUrl, system.adminKey);
  apiB = gatewayApi(system.region('b').gatewayUrl, system.adminKey);
}, 420_000);

afterAll(async () => {
  await system?.stop();
  await serverDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

interface Order {
  id: string;
  status: string;
  failureReason?: string | null;
}

let serial = 0;
async function user(balanceCents: number): Promise<string> {
  serial++;
  const created = await apiA<{ id: string }>('POST', '/api/users', { name: `Region shopper ${serial}`, email: `region${serial}@example.com`, country: 'GB', balanceCents });
  expect(created.status).toBe(201);
  return created.body.id;
}
async function product(priceCents: number, stock: number): Promise<string> {
  serial++;
  const created = await apiA<{ id: string }>('POST', '/api/products', { sku: `REGION-${serial}`, name: `Region item ${serial}`, priceCents, stock, bannedCountries: [] });
  expect(created.status).toBe(201);
  return created.body.id;
}
/** An order placed through one region's gateway, until it settles (read back through the same gateway). */
async function order(api: GatewayApi, userId: string, productId: string, quantity: number): Promise<Order> {
  const placed = await api<{ orderId: string }>('POST', '/api/orders', { userId, items: [{ productId, quantity }] });
  expect(placed.status).toBe(202);
  return finalOrder<Order>(api, placed.body.orderId);
}

/** What a region's gateway answers for the spenders and the failure counts: equal strings mean equal regions. */
async function view(api: GatewayApi, spenders: readonly string[]): Promise<string> {
  const [board, failures] = await Promise.all([
    api<{ items: Array<{ member: string; score: number }> }>('GET', '/api/leaderboards/top-spenders?limit=100'),
    api<{ counts: Record<string, number> }>('GET', '/api/monitoring/order-failures'),
  ]);
  if (board.status !== 200 || failures.status !== 200) return `unavailable (${board.status}, ${failures.status})`;
  const mine = board.body.items.filter((entry) => spenders.includes(entry.member)).map((entry) => `${spenders.indexOf(entry.member)}:${entry.score}`);
  return `${mine.sort().join(' ')} | out-of-stock ${failures.body.counts.SHIPMENT_FAILED_OUT_OF_STOCK ?? 0}`;
}

/** Both regions show `expected` (spender index:cents, sorted, and the out-of-stock count). */
async function bothShow(expected: string, spenders: readonly string[], description: string): Promise<void> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await Promise.all([view(apiA, spenders), view(apiB, spenders)]);
      return last.every((seen) => seen === expected);
    },
    { timeoutMs: 60_000, description: `${description}: both regions show "${expected}" (last: a "${last[0]}", b "${last[1]}")` },
  );
}

describe('two regions (npm start -- --regions 2)', () => {
  it('runs a gateway, a region Redis and order-monitoring per region, on one bus', async () => {
    expect(system.regions.map((region) => region.name)).toEqual(['a', 'b']);
    expect(system.region('a').gatewayUrl).toBe(system.gatewayUrl);
    expect(system.region('b').gatewayUrl).not.toBe(system.gatewayUrl);
    const [a, b] = await Promise.all([apiA<{ region: string | null }>('GET', '/api/monitoring/regions'), apiB<{ region: string | null }>('GET', '/api/monitoring/regions')]);
    expect([a.status, a.body.region, b.status, b.body.region]).toEqual([200, 'a', 200, 'b']);
  });

  it('converges orders placed through both gateways, fails region b over to a, and resynchronises (Figures 4-1, 4-2)', async () => {
    const [ada, bob] = await Promise.all([user(1_000_000), user(1_000_000)]);
    const spenders = [ada, bob];
    const [tea, scarce] = await Promise.all([product(1_000, 1_000), product(500, 1)]);

    // Figure 4-1: each region's order-monitoring counts what it handles; the other region's replicator brings it over.
    expect((await order(apiA, ada, tea, 2)).status).toBe('COMPLETED_SUCCESSFULLY');
    expect((await order(apiB, bob, tea, 3)).status).toBe('COMPLETED_SUCCESSFULLY');
    expect(await order(apiB, bob, scarce, 2)).toMatchObject({ status: 'COMPLETED_WITH_FAILURE', failureReason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    await bothShow('0:2000 1:3000 | out-of-stock 1', spenders, 'before the failover');

    // Figure 4-2: b's Redis is killed and stays down; b's order-monitoring writes a's Redis, b's gateway goes on.
    const b = system.region('b');
    await b.failOver('a');
    expect(b.failedOverTo).toBe('a');
    await expect(b.redis.waitReady(1_000)).rejects.toThrow(/region-b redis-server/);
    expect((await order(apiB, bob, tea, 1)).status).toBe('COMPLETED_SUCCESSFULLY');
    expect((await order(apiA, ada, tea, 1)).status).toBe('COMPLETED_SUCCESSFULLY');
    await bothShow('0:3000 1:4000 | out-of-stock 1', spenders, 'while b is failed over to a');

    // b's Redis returns from its AOF, b's services return to it, and replication catches up both ways.
    await b.restore();
    expect(b.failedOverTo).toBeNull();
    expect((await order(apiB, bob, tea, 1)).status).toBe('COMPLETED_SUCCESSFULLY');
    await bothShow('0:3000 1:5000 | out-of-stock 1', spenders, 'after b returned');
    const pairs = await waitFor(async () => {
      const reply = await apiB<{ replication: Array<{ source: string; target: string; pending?: number }> }>('GET', '/api/monitoring/regions');
      return reply.status === 200 && reply.body.replication.every((pair) => pair.pending === 0) && reply.body.replication.length > 0 ? reply.body.replication : null;
    }, { timeoutMs: 30_000, description: 'region b has applied all of region a' });
    expect(pairs.map((pair) => `${pair.source}->${pair.target}`)).toContain('a->b');
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)("fills the catalog's cache in one region, serves it in the other, and invalidates it in both (Figure 4-3)", async () => {
    expect(Object.keys(system.region('b').urls)).toContain('catalog');
    const id = await product(700, 10);
    const key = `catalog:aa:{aa}:v:product:${id}`;
    const [redisA, redisB] = await Promise.all([connectRedis(system.region('a').redisUrl), connectRedis(system.region('b').redisUrl)]);
    try {
      expect((await apiA<{ priceCents: number }>('GET', `/api/products/${id}`)).body.priceCents).toBe(700);
      const filled = await waitFor(async () => await redisA.get(key), { description: "a's fill" });
      await waitFor(async () => (await redisB.get(key)) === filled, { description: "a's fill replicated to b" });
      // Served in b from a's fill: a load in b would have written an entry of its own (a later expiry).
      expect((await apiB<{ priceCents: number }>('GET', `/api/products/${id}`)).body.priceCents).toBe(700);
      expect(await redisB.get(key)).toBe(filled);

      expect((await apiA('PATCH', `/api/products/${id}`, { priceCents: 650 })).status).toBe(200);
      await waitFor(
        async () => (await apiB<{ priceCents: number }>('GET', `/api/products/${id}`)).body.priceCents === 650 && (await apiA<{ priceCents: number }>('GET', `/api/products/${id}`)).body.priceCents === 650,
        { description: 'the new price in both regions' },
      );
    } finally {
      await Promise.all([redisA.close(), redisB.close()]);
    }
  });
});
