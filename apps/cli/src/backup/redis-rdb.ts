import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, RESP_TYPES } from '@redis/client';
import { forEachNode, isClusterUrl, parseInfo, redactUrl, SENTINEL_SCHEME } from 'tributary';
import { CliError } from '../errors.ts';
import { cliRedisTls, connectCliRedis, describe } from '../redis.ts';

/** Runs a program to its end; its stderr (and stdout) come back for an error message. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * A point-in-time RDB of the server at `url`, written to `file`, as a replica
 * would get it: `redis-cli --rdb` sends SYNC (REPLCONF rdb-only), the server
 * forks and streams one snapshot. Nothing is written on the server's disk,
 * and it works wherever the user may run SYNC (the launcher's own user on
 * its private servers; a managed Redis usually refuses it: use its export).
 * The password goes in REDISCLI_AUTH, never on a command line. Answers the
 * server's version.
 */
export async function snapshotRedis(url: string, file: string, role: 'bus' | 'store' = 'bus', settings: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) {
    throw new CliError(`${redactUrl(url)}: a Redis behind Sentinel is not backed up by \`tributary backup\`; give the primary's redis:// URL (--bus-url/--store-url)`);
  }
  if (isClusterUrl(url)) {
    // One snapshot per shard, each of its own moment, is not the one consistent copy a backup promises.
    throw new CliError(
      `${redactUrl(url)}: a Redis Cluster is not backed up by \`tributary backup\` (each shard would be a snapshot of its own moment); use the provider's export or redis-cli --rdb per primary. \`tributary restore --bus-url/--store-url redis+cluster://…\` loads a backup into a cluster`,
    );
  }
  const tls = cliRedisTls(role, settings, url);
  const client = await connectCliRedis(url, tls);
  let version: string;
  try {
    version = parseInfo(await client.sendCommand(['INFO', 'server'])).redis_version || 'unknown';
  } finally {
    client.destroy();
  }
  const parsed = new URL(url);
  const args = ['-h', parsed.hostname || '127.0.0.1', '-p', parsed.port || '6379'];
  if (parsed.username) args.push('--user', decodeURIComponent(parsed.username));
  if (parsed.protocol === 'rediss:') {
    // The same CA, client certificate and key as the CLI's own connection (checked readable by it just now).
    args.push('--tls');
    if (tls?.caFile) args.push('--cacert', tls.caFile);
    if (tls?.certFile && tls.keyFile) args.push('--cert', tls.certFile, '--key', tls.keyFile);
    if (tls?.servername) args.push('--sni', tls.servername);
  }
  args.push('--rdb', file);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (parsed.password) env.REDISCLI_AUTH = decodeURIComponent(parsed.password);
  else delete env.REDISCLI_AUTH;
  const result = await run('redis-cli', args, env).catch((error: unknown) => {
    throw new CliError(`cannot run redis-cli (it comes with redis-server: scripts/ installs it): ${describe(error)}`);
  });
  if (result.code !== 0 || !existsSync(file)) {
    throw new CliError(`redis-cli --rdb from ${redactUrl(url)} failed (exit ${result.code}): ${result.output.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return version;
}

/** A client of our own redis-server's Unix socket; a failed command reports its error. */
function socketClient(path: string) {
  const client = createClient({ socket: { path, reconnectStrategy: false }, RESP: 2 });
  client.on('error', () => undefined);
  return client;
}

/**
 * Runs `work` against a redis-server of our own that loaded `rdb` in `dir`:
 * on a Unix socket in a private directory (no port, no password to make up),
 * then SHUTDOWN with `shutdownArgs`, waiting for the server to exit. The RDB
 * is copied in under a name of its own and removed afterwards.
 */
async function withLoadedRdb(rdb: string, dir: string, work: (client: ReturnType<typeof socketClient>, fail: (what: string) => CliError, deadline: number) => Promise<void>, shutdownArgs: string[], timeoutMs: number): Promise<void> {
  const loading = 'restore.rdb';
  copyFileSync(rdb, join(dir, loading));
  const socketDir = mkdtempSync(join(tmpdir(), 'tributary-restore-'));
  const socket = join(socketDir, 'redis.sock');
  const server = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--dbfilename', loading, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  server.stdout.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  server.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  let exited = false;
  const gone = new Promise<void>((done) => server.once('exit', () => ((exited = true), done())));
  const fail = (what: string) => new CliError(`restoring ${rdb}: ${what}. redis-server said:\n${log.trim().split('\n').slice(-5).join('\n')}`);
  const deadline = Date.now() + timeoutMs;
  const connect = () => socketClient(socket);
  let client = connect();
  try {
    for (;;) {
      if (exited) throw fail('redis-server exited while loading the snapshot');
      if (Date.now() > deadline) throw fail(`not ready within ${timeoutMs} ms`);
      if (existsSync(socket)) {
        try {
          await client.connect();
          if ((await client.ping()) === 'PONG') break;
        } catch {
          // Still loading the snapshot (LOADING), or not listening yet.
          if (client.isOpen) client.destroy();
          client = connect();
        }
      }
      await pause(50);
    }
    await work(client, fail, deadline);
    // The server closes the connection instead of answering SHUTDOWN.
    await client.sendCommand(['SHUTDOWN', ...shutdownArgs]).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((done) => (timer = setTimeout(done, Math.max(0, deadline - Date.now()))))]);
    // Cleared, or the CLI would wait for it before exiting.
    clearTimeout(timer);
    if (!exited) throw fail('redis-server did not exit after SHUTDOWN');
  } catch (error) {
    if (!exited) server.kill('SIGKILL');
    throw error instanceof CliError ? error : fail(describe(error));
  } finally {
    if (client.isOpen) client.destroy();
    rmSync(socketDir, { recursive: true, force: true });
    rmSync(join(dir, loading), { force: true });
  }
}

/**
 * Makes `dir` (a private server's directory, `<data dir>/redis/<role>`) hold
 * the data of `rdb` the way the launcher's redis-server reads it: an AOF
 * (appendonlydir/), since it starts with `--appendonly yes` and then ignores
 * any RDB. Our redis-server loads the RDB, is told to turn AOF on (which
 * writes the AOF from what it holds), and shuts down once that is on disk
 * (SHUTDOWN fsyncs the AOF).
 */
export async function loadRdbIntoAof(rdb: string, dir: string, timeoutMs = 60_000): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'appendonlydir'))) throw new CliError(`${dir} already holds Redis data (appendonlydir/): restore only into a new data directory`);
  await withLoadedRdb(
    rdb,
    dir,
    async (client, fail, deadline) => {
      await client.sendCommand(['CONFIG', 'SET', 'appendonly', 'yes']);
      for (;;) {
        const info = parseInfo(await client.sendCommand(['INFO', 'persistence']));
        const field = (name: string) => info[name];
        if (field('aof_enabled') === '1' && field('aof_rewrite_in_progress') === '0' && field('aof_rewrite_scheduled') === '0') {
          if (field('aof_last_bgrewrite_status') !== 'ok') throw fail('writing the AOF failed');
          break;
        }
        if (Date.now() > deadline) throw fail(`the AOF was not written within ${timeoutMs} ms`);
        await pause(50);
      }
    },
    [],
    timeoutMs,
  );
}

/** The databases (SELECT numbers) that hold keys, from INFO keyspace ("db0:keys=3,expires=0,…"). */
function keyspace(info: string): Array<{ db: number; keys: number }> {
  return Object.entries(parseInfo(info))
    .filter(([name]) => /^db\d+$/.test(name))
    .map(([name, value]) => ({ db: Number(name.slice(2)), keys: Number(/keys=(\d+)/.exec(value)?.[1] ?? 0) }))
    .filter((entry) => entry.keys > 0);
}

/**
 * Refuses, before anything is written, a target server that holds keys
 * (unless `force`: then restore empties it first) or that cannot be reached;
 * only a plain server (redis://, rediss://) is a target: a Sentinel or
 * Cluster URL is refused with what to give instead.
 */
export async function checkRedisTarget(url: string, role: string, force: boolean): Promise<void> {
  if (!/^rediss?(\+cluster)?:\/\//.test(url)) {
    throw new CliError(`--${role}-url ${redactUrl(url)}: restore loads a redis:// or rediss:// server or a redis+cluster:// cluster (a Sentinel's primary by its own URL)`, 2);
  }
  const client = await connectCliRedis(url);
  try {
    // A cluster's keys are counted on each primary.
    const used = (await forEachNode(client, async (node) => keyspace(await node.sendCommand<string>(['INFO', 'keyspace'])))).flat();
    if (used.length > 0 && !force) {
      const keys = used.reduce((sum, entry) => sum + entry.keys, 0);
      throw new CliError(`the ${role} Redis ${redactUrl(url)} holds ${keys} key${keys === 1 ? '' : 's'}: restore into an empty server, or pass --force to empty it first`);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Loads `rdb` into the (empty, or emptied with `force`) server at `url`,
 * key by key: our redis-server loads the RDB and every key goes over with
 * DUMP, PTTL and RESTORE. DUMP carries a key whole (a stream with its
 * consumer groups and pending entries), so the target ends as the snapshot
 * was, on any server that accepts RESTORE, where `redis-cli --pipe` would
 * need commands rebuilt per type and a file copy needs a disk we do not have.
 * The target's server must be at least as new as the snapshot's.
 */
export async function loadRdbIntoServer(rdb: string, url: string, force: boolean, timeoutMs = 600_000): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-restore-rdb-'));
  const target = await connectCliRedis(url);
  let copied = 0;
  try {
    const cluster = isClusterUrl(url);
    if (force) await forEachNode(target, (node) => node.sendCommand(['FLUSHALL']));
    await withLoadedRdb(
      rdb,
      work,
      async (source) => {
        const binary = source.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        for (const { db } of keyspace(await source.sendCommand<string>(['INFO', 'keyspace']))) {
          await source.sendCommand(['SELECT', String(db)]);
          // A cluster has database 0 only (Tributary writes nowhere else); its client routes each RESTORE to the key's node.
          if (cluster && db !== 0) throw new CliError(`the backup holds keys in database ${db}, and a Redis Cluster has only database 0`);
          if (!cluster) await target.sendCommand(['SELECT', String(db)]);
          let cursor = '0';
          do {
            const [next, keys] = await binary.sendCommand<[Buffer, Buffer[]]>(['SCAN', cursor, 'COUNT', '500']);
            cursor = next.toString();
            // Sent together: node-redis pipelines the commands of one tick.
            const dumped = await Promise.all(keys.map(async (key) => ({ key, payload: await binary.sendCommand<Buffer | null>(['DUMP', key]), ttl: await source.sendCommand<number>(['PTTL', key]) })));
            // Gone between SCAN and DUMP cannot happen here (nobody else writes), expired can.
            const live = dumped.filter((entry) => entry.payload !== null && entry.ttl !== -2);
            await Promise.all(
              live
                .map((entry) =>
                  target.sendCommand(['RESTORE', entry.key, String(Math.max(entry.ttl, 0)), entry.payload as Buffer]).catch((error: unknown) => {
                    throw new CliError(`RESTORE of a key into ${redactUrl(url)} failed: ${describe(error)}${/payload version/i.test(describe(error)) ? ' (the target Redis is older than the one backed up)' : ''}`);
                  }),
                ),
            );
            copied += live.length;
          } while (cursor !== '0');
        }
      },
      ['NOSAVE'],
      timeoutMs,
    );
  } finally {
    target.destroy();
    rmSync(work, { recursive: true, force: true });
  }
  return copied;
}
