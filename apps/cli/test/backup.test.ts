import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeUrlFiles } from '@tributary/launcher';
import { startSupervisedTestSystem } from '../../../test/support/system.ts';
import { lakeFiles } from '../src/backup/lake.ts';
import type { Manifest } from '../src/backup/manifest.ts';
import { populate, state } from './backup-round-trip.ts';
import { runCli } from './harness.ts';

/**
 * Backup of a running system (the launcher's own Redis servers with ACL
 * users, PGlite per service), restore into a new data directory, a new
 * system on it: orders, balances, stock, loans and the lake read back equal.
 */
// Deadlines for a loaded machine (two system starts and a workload); a quiet one takes about a minute and a half.
describe('tributary backup and restore', { timeout: 600_000 }, () => {
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
});
