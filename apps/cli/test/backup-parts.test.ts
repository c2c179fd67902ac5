import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis } from 'tributary';
import { generateTlsCertificates, startRedisServer } from 'tributary/testing';
import { PRIVATE_TLS_DIR, STORE_URL_FILE } from '@tributary/launcher/services';
import { cliRedisTls } from '../src/redis.ts';
import { describeFile, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, verifyBackup, writeManifest, type Manifest } from '../src/backup/manifest.ts';
import { loadRdbIntoAof, snapshotRedis } from '../src/backup/redis-rdb.ts';
import { runCli } from './harness.ts';

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
