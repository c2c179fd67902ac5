import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis, forEachNode } from 'tributary';
import { openDatabase } from 'tributary/sql';
import { createServerDatabase, generateTlsCertificates, startRedisCluster, startRedisServer } from 'tributary/testing';
import { PRIVATE_TLS_DIR, STORE_URL_FILE } from '@tributary/launcher/services';
import { cliRedisTls } from '../src/redis.ts';
import { describeFile, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, verifyBackup, writeManifest, type Manifest } from '../src/backup/manifest.ts';
import { checkRestoreTarget, dumpSchemas, restoreSchemas, toolVersion } from '../src/backup/postgres.ts';
import { checkRedisTarget, loadRdbIntoAof, loadRdbIntoServer, snapshotRedis } from '../src/backup/redis-rdb.ts';
import { runCli } from './harness.ts';
import { pgToolsUnfit } from './pg-tools.ts';

const dirs: string[] = [];
const tempDir = (prefix = 'tributary-backup-test-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A backup directory with two small "snapshots", one dump and one lake file, and its manifest. */
async function fakeBackup(): Promise<{ dir: string; manifest: Manifest }> {
  const dir = tempDir();
  const parts = [
    { path: 'redis/bus.rdb', kind: 'redis-rdb' as const, role: 'bus' as const, text: 'REDIS0010 bus' },
    { path: 'redis/store.rdb', kind: 'redis-rdb' as const, role: 'store' as const, text: 'REDIS0010 store' },
    { path: 'pg/accounts.tar.gz', kind: 'pglite-datadir' as const, service: 'accounts', text: 'tarball' },
    { path: 'lake/deliveries/year=2026/month=12/day=04/batch-1.parquet', kind: 'lake-parquet' as const, text: 'PAR1' },
  ];
  const files = [];
  for (const { text, ...entry } of parts) {
    mkdirSync(join(dir, entry.path, '..'), { recursive: true });
    writeFileSync(join(dir, entry.path), text);
    files.push(await describeFile(dir, entry));
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    createdAt: new Date().toISOString(),
    order: ['redis', 'sql', 'lake'],
    versions: { redis: { bus: '7.0.15', store: '7.0.15' }, pglite: '0.5.16', services: {} },
    skipped: [],
    files,
  };
  writeManifest(dir, manifest);
  return { dir, manifest };
}

describe('the backup manifest check', () => {
  it('accepts a backup whose files match, with their sizes and SHA-256', async () => {
    const { dir, manifest } = await fakeBackup();
    expect(await verifyBackup(dir)).toEqual(manifest);
    expect(manifest.files.find((file) => file.path === 'redis/bus.rdb')?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a changed file of the same size, a missing one and one with another size, naming each', async () => {
    const { dir } = await fakeBackup();
    writeFileSync(join(dir, 'redis/bus.rdb'), 'REDIS0010 BUS');
    rmSync(join(dir, 'pg/accounts.tar.gz'));
    writeFileSync(join(dir, 'redis/store.rdb'), 'short');
    const failure = verifyBackup(dir);
    await expect(failure).rejects.toThrow(/redis\/bus\.rdb does not match its SHA-256/);
    await expect(verifyBackup(dir)).rejects.toThrow(/pg\/accounts\.tar\.gz is missing/);
    await expect(verifyBackup(dir)).rejects.toThrow(/redis\/store\.rdb has 5 bytes, the manifest says 15/);
  });

  it('refuses a directory without a manifest, a manifest that is not JSON or not ours, a path out of the directory, a missing Redis snapshot', async () => {
    await expect(verifyBackup(tempDir())).rejects.toThrow(/not a backup: no manifest\.json/);
    const { dir, manifest } = await fakeBackup();
    writeFileSync(join(dir, MANIFEST_FILE), '{"format": ');
    await expect(verifyBackup(dir)).rejects.toThrow(/is not JSON/);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, format: 'something-else' }));
    await expect(verifyBackup(dir)).rejects.toThrow(/not a Tributary backup manifest/);
    const escaping = { ...manifest, files: [...manifest.files, { ...(manifest.files[0] as Manifest['files'][number]), path: '../outside.rdb' }] };
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(escaping));
    await expect(verifyBackup(dir)).rejects.toThrow(/"\.\.\/outside\.rdb" is not a path inside the backup/);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, files: manifest.files.filter((file) => file.role !== 'store') }));
    await expect(verifyBackup(dir)).rejects.toThrow(/no store Redis snapshot/);
  });
});

describe('manifest versions', () => {
  it('reads a version 1 manifest (before PostgreSQL dumps), refuses a newer one by its version', async () => {
    const { dir, manifest } = await fakeBackup();
    writeManifest(dir, { ...manifest, version: 1 });
    expect((await verifyBackup(dir)).version).toBe(1);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, version: 3 }));
    await expect(verifyBackup(dir)).rejects.toThrow(/manifest of version 3; this tributary reads versions 1 and 2: restore it with the tributary that wrote it/);
  });

  it('refuses PostgreSQL dumps without their schema, or without the pg_dump version', async () => {
    const { dir, manifest } = await fakeBackup();
    writeFileSync(join(dir, 'pg/accounts.pgdump'), 'PGDMP');
    const dump = await describeFile(dir, { path: 'pg/accounts.pgdump', kind: 'pg-dump', service: 'accounts' });
    writeManifest(dir, { ...manifest, files: [...manifest.files, dump] });
    await expect(verifyBackup(dir)).rejects.toThrow(/pg\/accounts\.pgdump: a PostgreSQL dump without its service and schema\n\s+PostgreSQL dumps without versions\.postgres/);
  });
});

/** An RDB of `source` after `commands`, with a stream holding a consumer group and one pending entry. */
async function snapshotOf(source: { url: string }, commands: string[][]): Promise<string> {
  const client = await connectRedis(source.url);
  for (const command of commands) await client.sendCommand(command);
  await client.sendCommand(['XADD', 'ordering:events', '*', 'type', 'x']);
  await client.sendCommand(['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0']);
  await client.sendCommand(['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '1', 'STREAMS', 'ordering:events', '>']);
  await client.close();
  const rdb = join(tempDir(), 'bus.rdb');
  await snapshotRedis(source.url, rdb);
  return rdb;
}

describe('a Redis snapshot and its restore', () => {
  it('copies a server with ACL users through SYNC as the admin user, and the restored directory starts with the data, consumer groups and pending entries', async () => {
    // As the launcher's private servers, an admin user with a password (the default user stays open for the test helper's probe).
    const source = await startRedisServer({ appendOnly: true, args: ['--user', 'tributary-launcher', 'on', '>admin-secret', '~*', '&*', '+@all'] });
    const adminUrl = source.url.replace('redis://', 'redis://tributary-launcher:admin-secret@');
    const restoredDir = join(tempDir(), 'redis', 'bus');
    try {
      const client = await connectRedis(adminUrl);
      await client.sendCommand(['SET', 'basket:1', 'full']);
      await client.sendCommand(['XADD', 'ordering:events', '*', 'type', 'x']);
      await client.sendCommand(['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0']);
      await client.sendCommand(['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '1', 'STREAMS', 'ordering:events', '>']);
      await client.close();
      const rdb = join(tempDir(), 'bus.rdb');
      expect(await snapshotRedis(adminUrl, rdb)).toMatch(/^\d+\.\d+/);
      expect(readFileSync(rdb).subarray(0, 5).toString()).toBe('REDIS');
      await loadRdbIntoAof(rdb, restoredDir);
      await expect(loadRdbIntoAof(rdb, restoredDir)).rejects.toThrow(/already holds Redis data/);
    } finally {
      await source.stop();
    }
    // As the launcher starts it: --appendonly yes on the directory.
    const restored = await startRedisServer({ appendOnly: true, dir: restoredDir });
    try {
      const client = await connectRedis(restored.url);
      expect(await client.sendCommand(['GET', 'basket:1'])).toBe('full');
      const pending = await client.sendCommand<[number]>(['XPENDING', 'ordering:events', 'accounts']);
      expect(pending[0]).toBe(1);
      await client.close();
    } finally {
      await restored.stop();
    }
  });

  it('copies a TLS-only server that wants client certificates, with the STORE_REDIS_TLS_* files (redis-cli --tls --cacert --cert --key)', async () => {
    const certs = await generateTlsCertificates(join(tempDir(), 'tls'));
    const source = await startRedisServer({ tls: { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
    try {
      const settings = { STORE_REDIS_TLS_CA_FILE: certs.caFile, STORE_REDIS_TLS_CERT_FILE: certs.clientCertFile, STORE_REDIS_TLS_KEY_FILE: certs.clientKeyFile };
      const client = await connectRedis(source.url, { tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
      await client.sendCommand(['SET', 'basket:tls', 'kept']);
      await client.close();
      const rdb = join(tempDir(), 'store.rdb');
      expect(await snapshotRedis(source.url, rdb, 'store', settings)).toMatch(/^\d+\.\d+/);
      expect(readFileSync(rdb).subarray(0, 5).toString()).toBe('REDIS');
      expect(readFileSync(rdb).includes('basket:tls')).toBe(true);
      // The bus's settings are not the store's.
      await expect(snapshotRedis(source.url, join(tempDir(), 'no.rdb'), 'bus', settings)).rejects.toThrow(/cannot connect to Redis/);
    } finally {
      await source.stop();
    }
  });

  it('uses the certificates `npm start` made for its TLS-only servers, for the URLs it wrote, when no REDIS_TLS_* is set', () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, PRIVATE_TLS_DIR));
    writeFileSync(join(dataDir, PRIVATE_TLS_DIR, 'ca.crt'), 'CA');
    writeFileSync(join(dataDir, STORE_URL_FILE), 'rediss://tributary-launcher:pw@127.0.0.1:6390\n');
    const env = { TRIBUTARY_DATA_DIR: dataDir };
    expect(cliRedisTls('store', env, 'rediss://tributary-launcher:pw@127.0.0.1:6390')).toEqual({
      caFile: join(dataDir, PRIVATE_TLS_DIR, 'ca.crt'),
      certFile: join(dataDir, PRIVATE_TLS_DIR, 'client.crt'),
      keyFile: join(dataDir, PRIVATE_TLS_DIR, 'client.key'),
    });
    // Another server: the system's CAs, not the launcher's private one.
    expect(cliRedisTls('store', env, 'rediss://redis.example.com:6380')).toBeUndefined();
    // Given settings win.
    expect(cliRedisTls('store', { ...env, REDIS_TLS_CA_FILE: '/etc/ca.pem' }, 'rediss://tributary-launcher:pw@127.0.0.1:6390')).toMatchObject({ caFile: '/etc/ca.pem' });
  });

  it('loads into another, empty server key by key (values, expiry, a stream with its group and pending entry), refuses one with keys unless forced', async () => {
    const source = await startRedisServer();
    const target = await startRedisServer();
    try {
      const rdb = await snapshotOf(source, [['SET', 'basket:1', 'full'], ['SET', 'session:1', 'soon', 'PX', '3600000'], ['HSET', 'fleet:drone-1', 'battery', '80']]);

      await checkRedisTarget(target.url, 'bus', false);
      expect(await loadRdbIntoServer(rdb, target.url, false)).toBe(4);
      const copy = await connectRedis(target.url);
      expect(await copy.sendCommand(['GET', 'basket:1'])).toBe('full');
      expect(await copy.sendCommand<number>(['PTTL', 'session:1'])).toBeGreaterThan(0);
      expect(await copy.sendCommand<number>(['PTTL', 'basket:1'])).toBe(-1);
      expect(await copy.sendCommand(['HGET', 'fleet:drone-1', 'battery'])).toBe('80');
      expect((await copy.sendCommand<[number]>(['XPENDING', 'ordering:events', 'accounts']))[0]).toBe(1);

      await expect(checkRedisTarget(target.url, 'bus', false)).rejects.toThrow(/the bus Redis .* holds 4 keys: restore into an empty server, or pass --force/);
      await copy.sendCommand(['SET', 'stale', 'x']);
      await checkRedisTarget(target.url, 'bus', true);
      expect(await loadRdbIntoServer(rdb, target.url, true)).toBe(4);
      expect(await copy.sendCommand(['EXISTS', 'stale'])).toBe(0);
      await copy.close();
      await expect(checkRedisTarget('redis+sentinel://127.0.0.1:1/mymaster', 'store', false)).rejects.toThrow(/a Sentinel's primary by its own URL/);
    } finally {
      await Promise.all([source.stop(), target.stop()]);
    }
  });

  it('loads a server\'s snapshot into a 3-master cluster, each key on its own node; refuses to back a cluster up', async () => {
    const source = await startRedisServer();
    const cluster = await startRedisCluster();
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `basket:{user-${i}}`);
      const rdb = await snapshotOf(source, keys.map((key) => ['HSET', key, 'tea', '1']));

      await checkRedisTarget(cluster.url, 'bus', false);
      expect(await loadRdbIntoServer(rdb, cluster.url, false)).toBe(31);
      const copy = await connectRedis(cluster.url);
      try {
        for (const key of keys) expect(await copy.sendCommand(['HGET', key, 'tea'])).toBe('1');
        expect((await copy.sendCommand<[number]>(['XPENDING', 'ordering:events', 'accounts']))[0]).toBe(1);
        // Spread over the primaries, not all on the node the client first asked.
        const perNode = await forEachNode(copy, async (node) => Number(await node.sendCommand(['DBSIZE'])));
        expect(perNode.filter((count) => count > 0).length).toBe(3);
        expect(perNode.reduce((sum, count) => sum + count, 0)).toBe(31);
      } finally {
        await copy.close();
      }
      await expect(checkRedisTarget(cluster.url, 'bus', false)).rejects.toThrow(/the bus Redis .* holds 31 keys/);
      await expect(snapshotRedis(cluster.url, join(tempDir(), 'cluster.rdb'))).rejects.toThrow(/a Redis Cluster is not backed up by `tributary backup`/);
    } finally {
      await Promise.all([source.stop(), cluster.stop()]);
    }
  });

  it('says why when the server refuses SYNC to the user (no such password)', async () => {
    const source = await startRedisServer({ password: 'right' });
    try {
      const url = new URL(source.url);
      url.password = 'wrong';
      await expect(snapshotRedis(url.toString(), join(tempDir(), 'x.rdb'))).rejects.toThrow(/cannot connect to Redis|WRONGPASS|invalid/i);
    } finally {
      await source.stop();
    }
  });
});

describe('tributary restore refuses', () => {
  it('a data directory that holds data, one a launcher runs on, and a backup that does not match (exit 1, nothing written)', async () => {
    const { dir } = await fakeBackup();
    const used = tempDir();
    mkdirSync(join(used, 'pg', 'accounts'), { recursive: true });
    writeFileSync(join(used, 'pg', 'accounts', 'PG_VERSION'), '17');
    const full = await runCli(['restore', dir], { TRIBUTARY_DATA_DIR: used });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/already holds data \(pg\/\)/);

    // A live process whose command line names start.mjs, as `tributary start` records the launcher.
    const running = tempDir();
    const launcher = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'start.mjs'], { stdio: 'ignore' });
    try {
      writeFileSync(join(running, 'launcher.pid'), `${launcher.pid}\n`);
      const busy = await runCli(['restore', dir], { TRIBUTARY_DATA_DIR: running });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(new RegExp(`a launcher runs on .* \\(pid ${launcher.pid}\\)`));
    } finally {
      launcher.kill('SIGKILL');
    }

    writeFileSync(join(dir, 'redis/bus.rdb'), 'REDIS0010 BUX');
    const fresh = join(tempDir(), 'data');
    const damaged = await runCli(['restore', dir], { TRIBUTARY_DATA_DIR: fresh });
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/does not match its manifest, nothing restored:\n\s+redis\/bus\.rdb does not match its SHA-256/);
    expect(() => readFileSync(join(fresh, 'redis', 'bus', 'appendonlydir', 'appendonly.aof.manifest'))).toThrow();
  });

  it('backup into a directory that is not empty (exit 1)', async () => {
    const { dir } = await fakeBackup();
    const run = await runCli(['backup', dir, '--bus-url', 'redis://127.0.0.1:1', '--store-url', 'redis://127.0.0.1:1'], { TRIBUTARY_DATA_DIR: tempDir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is not empty: a backup goes into a new directory/);
  });
});

describe('PostgreSQL schemas', () => {
  it('says what to install when pg_dump is not there', async () => {
    const path = process.env.PATH;
    process.env.PATH = tempDir('tributary-no-tools-');
    try {
      await expect(toolVersion('pg_dump')).rejects.toThrow(/pg_dump is not installed .*apt-get install -y postgresql-client/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('restore asks for --database-url when the backup holds PostgreSQL schemas, before writing anything (exit 2)', async () => {
    const { dir, manifest } = await fakeBackup();
    writeFileSync(join(dir, 'pg/accounts.pgdump'), 'PGDMP');
    const dump = await describeFile(dir, { path: 'pg/accounts.pgdump', kind: 'pg-dump', service: 'accounts', schema: 'accounts' });
    writeManifest(dir, { ...manifest, versions: { ...manifest.versions, postgres: { server: '15.20', pgDump: '15.20' } }, files: [...manifest.files.filter((file) => file.kind !== 'pglite-datadir'), dump] });
    const fresh = join(tempDir(), 'data');
    const run = await runCli(['restore', dir], { TRIBUTARY_DATA_DIR: fresh });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/this backup holds PostgreSQL schemas \(accounts\): give the database they go into with --database-url/);
    expect(() => readFileSync(join(fresh, 'redis', 'bus', 'appendonlydir', 'appendonly.aof.manifest'))).toThrow();
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('dumps schemas from one snapshot and restores them into another database; a failed restore drops what it made (TEST_DATABASE_URL; skipped without it)', async (context) => {
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const unfit = await pgToolsUnfit(serverUrl);
    if (unfit) context.skip(unfit);
    const [source, copy] = await Promise.all([createServerDatabase(serverUrl, 'parts_src'), createServerDatabase(serverUrl, 'parts_dst')]);
    try {
      const db = await openDatabase(source.url);
      await db.query('CREATE SCHEMA accounts');
      await db.query('CREATE TABLE accounts.balances (id text PRIMARY KEY, cents bigint NOT NULL)');
      await db.query("INSERT INTO accounts.balances VALUES ('u1', 700), ('u2', 1600)");
      await db.query('CREATE SCHEMA delivery_history');
      await db.query('CREATE TABLE delivery_history.events (id serial PRIMARY KEY, what text)');
      await db.query("INSERT INTO delivery_history.events (what) VALUES ('delivered')");
      await db.close();
      const dir = tempDir();
      const dumps = [
        { service: 'accounts', schema: 'accounts', file: join(dir, 'accounts.pgdump') },
        { service: 'delivery-history', schema: 'delivery_history', file: join(dir, 'delivery-history.pgdump') },
      ];
      await expect(dumpSchemas(source.url, [...dumps, { service: 'catalog', schema: 'catalog', file: join(dir, 'catalog.pgdump') }])).rejects.toThrow(/has no schema catalog: is it the database the system runs on/);
      // A pg_dump older than the server is refused before it runs, naming the package.
      const oldTools = tempDir('tributary-old-pg-dump-');
      writeFileSync(join(oldTools, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n', { mode: 0o755 });
      const path = process.env.PATH;
      process.env.PATH = `${oldTools}:${path}`;
      try {
        await expect(dumpSchemas(source.url, dumps)).rejects.toThrow(/pg_dump 9\.6 cannot dump PostgreSQL \d+.* install postgresql-client-\d+/);
      } finally {
        process.env.PATH = path;
      }
      const versions = await dumpSchemas(source.url, dumps);
      expect(versions.pgDump).toMatch(/^\d+\.\d+/);

      // A failed second schema leaves the database as it was: the first is dropped again.
      await checkRestoreTarget(copy.url, ['accounts', 'delivery_history'], versions.pgDump);
      writeFileSync(join(dir, 'broken.pgdump'), 'not a dump');
      await expect(restoreSchemas(copy.url, [dumps[0] as (typeof dumps)[number], { ...(dumps[1] as (typeof dumps)[number]), file: join(dir, 'broken.pgdump') }])).rejects.toThrow(/pg_restore of delivery-history \(schema delivery_history\) .* failed/);
      const target = await openDatabase(copy.url);
      expect((await target.query("SELECT 1 FROM pg_namespace WHERE nspname = 'accounts'")).rowCount).toBe(0);

      // An empty schema (as a launcher makes at its start) is fine.
      await target.query('CREATE SCHEMA accounts');
      await checkRestoreTarget(copy.url, ['accounts', 'delivery_history'], versions.pgDump);
      await restoreSchemas(copy.url, dumps);
      expect((await target.query<{ id: string; cents: string }>('SELECT id, cents FROM accounts.balances ORDER BY id')).rows).toEqual([{ id: 'u1', cents: '700' }, { id: 'u2', cents: '1600' }]);
      // The sequence came along: the next row does not collide.
      await target.query("INSERT INTO delivery_history.events (what) VALUES ('again')");
      expect((await target.query('SELECT id FROM delivery_history.events')).rowCount).toBe(2);
      await target.close();
      await expect(checkRestoreTarget(copy.url, ['accounts', 'delivery_history'], versions.pgDump)).rejects.toThrow(/already holds data in schema accounts, delivery_history: restore into a new database/);
      await expect(checkRestoreTarget(copy.url, ['accounts'], '99.1')).rejects.toThrow(/written by pg_dump 99\.1, and pg_restore .* cannot read them: install postgresql-client-99/);
    } finally {
      await Promise.all([source.drop(), copy.drop()]);
    }
  });
});
