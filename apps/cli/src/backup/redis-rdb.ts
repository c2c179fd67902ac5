import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { parseInfo, redactUrl, SENTINEL_SCHEME } from 'tributary';
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

/**
 * Makes `dir` (a private server's directory, `<data dir>/redis/<role>`) hold
 * the data of `rdb` the way the launcher's redis-server reads it: an AOF
 * (appendonlydir/), since it starts with `--appendonly yes` and then ignores
 * any RDB. A redis-server of our own loads the RDB on a Unix socket in a
 * private directory (no port, no password to make up), is told to turn AOF
 * on (which writes the AOF from what it holds), and shuts down once that is
 * on disk.
 */
export async function loadRdbIntoAof(rdb: string, dir: string, timeoutMs = 60_000): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'appendonlydir'))) throw new CliError(`${dir} already holds Redis data (appendonlydir/): restore only into a new data directory`);
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
  const fail = (what: string) => new CliError(`restoring ${rdb} into ${dir}: ${what}. redis-server said:\n${log.trim().split('\n').slice(-5).join('\n')}`);
  const deadline = Date.now() + timeoutMs;
  const connect = () => {
    const client = createClient({ socket: { path: socket, reconnectStrategy: false }, RESP: 2 });
    client.on('error', () => undefined);
    return client;
  };
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
    // SHUTDOWN fsyncs the AOF; the server closes the connection instead of answering.
    await client.sendCommand(['SHUTDOWN']).catch(() => undefined);
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
