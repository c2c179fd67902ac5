import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSystem, writeUrlFiles } from '@tributary/launcher';
import { connectRedis } from 'tributary';
import { createServerDatabase, freePort, startRedisServer } from 'tributary/testing';
import { gatewayApi, serviceFetcher, startSupervisedTestSystem, TEST_SYSTEM_ENV } from '../../../test/support/system.ts';
import { lakeFiles } from '../src/backup/lake.ts';
import type { Manifest } from '../src/backup/manifest.ts';
import { populate, state } from './backup-round-trip.ts';
import { runCli } from './harness.ts';
import { pgToolsUnfit } from './pg-tools.ts';

/**
 * backup.test.ts's round trip on a PostgreSQL server (TEST_DATABASE_URL):
 * the backup takes each service's schema with pg_dump, and the restore goes
 * to other servers, not a data directory: new, empty bus and store Redis
 * servers (DUMP/RESTORE of every key) and a new database (pg_restore); a
 * system started on those reads back the same. A file of its own so that
 * it runs beside backup.test.ts, not after it.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('tributary backup and restore on PostgreSQL (TEST_DATABASE_URL; skipped without it)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('round trip, restored into other Redis servers and a new database', async (context) => {
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
    // Deadline for a loaded machine: two system starts and a workload.
  }, 600_000);
});
