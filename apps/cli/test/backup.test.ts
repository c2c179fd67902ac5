import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { startSystem, writeUrlFiles } from '@tributary/launcher';
import { connectRedis } from 'tributary';
import { createServerDatabase, freePort, startRedisServer, waitFor } from 'tributary/testing';
import { gatewayApi, serviceFetcher, startSupervisedTestSystem, TEST_SYSTEM_ENV, type SupervisedTestSystem } from '../../../test/support/system.ts';
import { lakeFiles } from '../src/backup/lake.ts';
import type { Manifest } from '../src/backup/manifest.ts';
import { runCli } from './harness.ts';
import { pgToolsUnfit } from './pg-tools.ts';

interface Order {
  id: string;
  status: string;
  deliveryId?: string | null;
}

const READERS = ['backup-reader-0', 'backup-reader-1'];

/** Everything the test compares, read through the public API (and fulfillment's own port for stock). */
type Ids = { orders: string[]; users: string[]; products: string[]; requests: string[]; deliveries: string[]; day: string };
type Readable = Pick<SupervisedTestSystem, 'system' | 'api' | 'serviceFetch'>;

async function state(t: Readable, ids: Ids) {
  const body = async <T>(path: string) => {
    const answer = await t.api<T>('GET', path);
    expect(answer.status, path).toBe(200);
    return answer.body;
  };
  return {
    orders: await Promise.all(ids.orders.map((id) => body(`/api/orders/${id}`))),
    accounts: await Promise.all(ids.users.map((id) => body(`/api/users/${id}/account`))),
    stock: await Promise.all(ids.products.map(async (id) => (await t.serviceFetch(`${t.system.urls.fulfillment}/stock/${id}`)).json())),
    loans: await Promise.all(READERS.map((reader) => body(`/api/lending/users/${reader}/books`))),
    requests: await Promise.all(ids.requests.map((id) => body(`/api/lending/requests/${id}`))),
    histories: await Promise.all(ids.deliveries.map((id) => body(`/api/deliveries/${id}/history`))),
    lake: await body(`/api/analytics/deliveries?from=${ids.day}&to=${ids.day}`),
  };
}

/**
 * Users, products, two orders and two lending requests on a running system,
 * then quiet: every order delivered, every request decided, every balance
 * settled, the lake written. Answers the ids and what the system reads back.
 */
async function populate(t: Readable): Promise<{ ids: Ids; before: Awaited<ReturnType<typeof state>> }> {
  const users: string[] = [];
  const products: string[] = [];
  for (let i = 0; i < 2; i++) {
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: `Backup ${i}`, email: `backup-${i}@example.com`, country: 'GB', balanceCents: 10_000 });
    expect(user.status).toBe(201);
    await t.api('PATCH', `/api/users/${user.body.id}`, { address: `${i} Backup Street, London` });
    users.push(user.body.id);
    const product = await t.api<{ id: string }>('POST', '/api/products', { sku: `BACKUP-${i}`, name: `Backup ${i}`, priceCents: 700 + i * 100, stock: 10, bannedCountries: [] });
    expect(product.status).toBe(201);
    products.push(product.body.id);
  }
  const orderIds: string[] = [];
  for (const [i, userId] of users.entries()) {
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId, items: [{ productId: products[i] as string, quantity: i + 1 }] });
    expect(placed.status).toBe(202);
    orderIds.push(placed.body.orderId);
  }
  const requests: string[] = [];
  for (const [i, reader] of READERS.entries()) {
    const lent = await t.api<{ requestId: string }>('POST', '/api/lending/requests', { userId: reader, bookIds: [`backup-book-${i}`, 'backup-book-shared'] });
    expect(lent.status).toBe(202);
    requests.push(lent.body.requestId);
  }

  // Quiet before the backup: every order delivered, every request decided, every balance settled, the lake written.
  const orders = await Promise.all(
    orderIds.map((id) =>
      waitFor(
        async () => {
          const order = (await t.api<Order>('GET', `/api/orders/${id}`)).body;
          return TERMINAL_STATUSES.includes(order.status as never) && order.deliveryId ? order : null;
        },
        { timeoutMs: 60_000, description: `order ${id} completed with a delivery` },
      ),
    ),
  );
  expect(orders.map((order) => order.status)).toEqual(['COMPLETED_SUCCESSFULLY', 'COMPLETED_SUCCESSFULLY']);
  const deliveries = orders.map((order) => order.deliveryId as string);
  const histories = await Promise.all(
    deliveries.map((id) =>
      waitFor(async () => {
        const found = await t.api<{ status: string; finishedAt: string }>('GET', `/api/deliveries/${id}/history`);
        return found.status === 200 && found.body.status === 'DELIVERED' ? found.body : null;
      }, { timeoutMs: 60_000, description: `delivery ${id} in the history` }),
    ),
  );
  const day = (histories[0] as { finishedAt: string }).finishedAt.slice(0, 10);
  await waitFor(async () => {
    const analytics = await t.api<{ totals: { delivered: number } }>('GET', `/api/analytics/deliveries?from=${day}&to=${day}`);
    return analytics.body.totals?.delivered === deliveries.length;
  }, { timeoutMs: 30_000, description: 'the lake holds both deliveries' });
  await waitFor(async () => {
    const decided = await Promise.all(requests.map(async (id) => (await t.api<{ status: string }>('GET', `/api/lending/requests/${id}`)).body.status));
    return decided.every((status) => status !== 'PENDING');
  }, { timeoutMs: 30_000, description: 'lending requests decided' });
  await waitFor(async () => {
    const accounts = await Promise.all(users.map(async (id) => (await t.api<{ reservedCents: number; spentCents: number }>('GET', `/api/users/${id}/account`)).body));
    return accounts.every((account) => account.reservedCents === 0 && account.spentCents > 0);
  }, { timeoutMs: 30_000, description: 'reservations deducted' });

  const ids = { orders: orderIds, users, products, requests, deliveries, day };
  const before = await state(t, ids);
  // Something to compare that is not empty: stock taken, money spent, the shared book lent to one reader.
  expect(before.stock.map((entry) => (entry as { stock: number }).stock)).toEqual([9, 8]);
  expect(before.accounts.map((account) => (account as { spentCents: number }).spentCents)).toEqual([700, 1_600]);
  expect(before.loans.flatMap((loan) => (loan as { bookIds: string[] }).bookIds)).toContain('backup-book-shared');
  return { ids, before };
}

/**
 * Backup of a running system (the launcher's own Redis servers with ACL
 * users, PGlite per service), restore into a new data directory, a new
 * system on it: orders, balances, stock, loans and the lake read back equal.
 */
describe('tributary backup and restore', { timeout: 300_000 }, () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('round trip: a new system on the restored data directory answers what the old one did', async () => {
    const first = await startSupervisedTestSystem();
    const cleanupFirst = () => first.stop();
    cleanup.push(cleanupFirst);
    // What `npm start` writes for the CLI (apps/launcher/src/main.ts).
    writeUrlFiles(first.dataDir, first.system);

    const { ids, before } = await populate(first);

    const backupDir = join(mkdtempSync(join(tmpdir(), 'tributary-backup-')), 'backup');
    cleanup.push(() => rmSync(join(backupDir, '..'), { recursive: true, force: true }));
    const backup = await runCli(['backup', backupDir], { TRIBUTARY_DATA_DIR: first.dataDir, TRIBUTARY_URL: first.system.gatewayUrl });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.files.filter((file) => file.kind === 'redis-rdb').map((file) => file.role).sort()).toEqual(['bus', 'store']);
    expect(manifest.files.filter((file) => file.kind === 'pglite-datadir').map((file) => file.service).sort()).toEqual(['accounts', 'catalog', 'delivery-history', 'ordering', 'package']);
    const lakeInBackup = manifest.files.filter((file) => file.kind === 'lake-parquet').map((file) => file.path.slice('lake/'.length));
    expect(lakeInBackup).toEqual(lakeFiles(join(first.dataDir, 'lake')));
    expect(lakeInBackup.length).toBeGreaterThan(0);

    // The running system's data directory is refused.
    const busy = await runCli(['restore', backupDir], { TRIBUTARY_DATA_DIR: first.dataDir });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/already holds data/);

    const restoredDir = join(mkdtempSync(join(tmpdir(), 'tributary-restored-')), 'data');
    cleanup.push(() => rmSync(join(restoredDir, '..'), { recursive: true, force: true }));
    // The first system stops while the restore runs: nothing of it is needed any more.
    const [restore] = await Promise.all([runCli(['restore', backupDir], { TRIBUTARY_DATA_DIR: restoredDir }), first.stop()]);
    cleanup.splice(cleanup.indexOf(cleanupFirst), 1);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/restored the backup of .*: bus and store Redis, 5 databases into .*; \d+ lake files? into /);
    expect(lakeFiles(join(restoredDir, 'lake'))).toEqual(lakeInBackup);

    const second = await startSupervisedTestSystem({ dataDir: restoredDir });
    cleanup.push(() => second.stop());
    expect(await state(second, ids)).toEqual(before);
  });

  /**
   * The same on a PostgreSQL server (TEST_DATABASE_URL): the backup takes
   * each service's schema with pg_dump, and the restore goes to other
   * servers, not a data directory: new, empty bus and store Redis servers
   * (DUMP/RESTORE of every key) and a new database (pg_restore); a system
   * started on those reads back the same.
   */
  it.skipIf(!process.env.TEST_DATABASE_URL)('round trip on PostgreSQL (TEST_DATABASE_URL; skipped without it), restored into other Redis servers and a new database', async (context) => {
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const unfit = await pgToolsUnfit(serverUrl);
    if (unfit) context.skip(unfit);
    const [source, copy] = await Promise.all([createServerDatabase(serverUrl, 'backup_src'), createServerDatabase(serverUrl, 'backup_dst')]);
    cleanup.push(() => source.drop(), () => copy.drop());
    const first = await startSupervisedTestSystem({ databaseUrl: source.url });
    const cleanupFirst = () => first.stop();
    cleanup.push(cleanupFirst);
    writeUrlFiles(first.dataDir, first.system);
    const { ids, before } = await populate(first);

    const backupDir = join(mkdtempSync(join(tmpdir(), 'tributary-backup-pg-')), 'backup');
    cleanup.push(() => rmSync(join(backupDir, '..'), { recursive: true, force: true }));
    // As an operator runs it beside `npm start`: the database from DATABASE_URL.
    const backup = await runCli(['backup', backupDir], { TRIBUTARY_DATA_DIR: first.dataDir, TRIBUTARY_URL: first.system.gatewayUrl, DATABASE_URL: source.url });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/schemas accounts, catalog, ordering, package, delivery_history of .* dumped from one snapshot/);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.version).toBe(2);
    expect(manifest.files.filter((file) => file.kind === 'pg-dump').map((file) => file.schema).sort()).toEqual(['accounts', 'catalog', 'delivery_history', 'ordering', 'package']);
    expect(manifest.versions.postgres?.pgDump).toMatch(/^\d+/);
    const lakeInBackup = manifest.files.filter((file) => file.kind === 'lake-parquet').map((file) => file.path.slice('lake/'.length));
    expect(lakeInBackup.length).toBeGreaterThan(0);

    const [bus, store] = await Promise.all([startRedisServer({ appendOnly: true }), startRedisServer({ appendOnly: true })]);
    cleanup.push(() => bus.stop(), () => store.stop());
    const restoredDir = join(mkdtempSync(join(tmpdir(), 'tributary-restored-pg-')), 'data');
    cleanup.push(() => rmSync(join(restoredDir, '..'), { recursive: true, force: true }));
    const into = ['--bus-url', bus.url, '--store-url', store.url];

    // Refused before anything is written: the source database holds the schemas already.
    const taken = await runCli(['restore', backupDir, ...into, '--database-url', source.url], { TRIBUTARY_DATA_DIR: restoredDir });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already holds data in schema accounts, catalog/);
    const probe = await connectRedis(bus.url);
    expect(await probe.sendCommand(['DBSIZE'])).toBe(0);

    const [restore] = await Promise.all([runCli(['restore', backupDir, ...into, '--database-url', copy.url], { TRIBUTARY_DATA_DIR: restoredDir }), first.stop()]);
    cleanup.splice(cleanup.indexOf(cleanupFirst), 1);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/restored the backup of .*: bus Redis .* \(\d+ keys\); store Redis .*; schemas accounts, .* into .*; \d+ lake files? into /);
    expect(lakeFiles(join(restoredDir, 'lake'))).toEqual(lakeInBackup);
    expect(await probe.sendCommand<number>(['DBSIZE'])).toBeGreaterThan(0);
    // A second restore into the now full servers is refused without --force.
    const again = await runCli(['restore', backupDir, ...into, '--database-url', copy.url], { TRIBUTARY_DATA_DIR: join(restoredDir, '..', 'other') });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the bus Redis .* holds \d+ keys: restore into an empty server, or pass --force/);
    await probe.close();

    const system = await startSystem({
      rootDir: resolve(import.meta.dirname, '..', '..', '..'),
      dataDir: restoredDir,
      gatewayPort: await freePort(),
      busRedisUrl: bus.url,
      storeRedisUrl: store.url,
      databaseUrl: copy.url,
      env: TEST_SYSTEM_ENV,
      readyTimeoutMs: 150_000,
    });
    cleanup.push(() => system.stop());
    const second = { system, api: gatewayApi(system.gatewayUrl, system.adminKey), serviceFetch: serviceFetcher(system.internalKey) };
    expect(await state(second, ids)).toEqual(before);
    // Two system starts and a workload, on a machine that may run other system files beside it.
  }, 600_000);
});
