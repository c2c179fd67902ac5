import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { isProcessAlive } from 'tributary';
import { freePort, waitFor } from 'tributary/testing';
import { Supervised } from './supervisor.ts';

export type RedisRole = 'bus' | 'store';

export interface PrivateRedis {
  readonly role: RedisRole;
  /** The role, or `region-<name>` for a region's Redis (which has the store's users): its directory and log name. */
  readonly name: string;
  readonly url: string;
  readonly process: Supervised;
  /** Waits until the server answers PING (after a start or a restart). */
  waitReady(timeoutMs?: number): Promise<void>;
}

/** One command in RESP: a password goes through whatever characters it has. */
function resp(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/**
 * One PING over a plain socket (after AUTH when the server has users): a
 * client library would queue the command and reconnect while the server is
 * still loading its AOF, and the launcher only needs "answers now or not".
 */
function answersPing(port: number, auth?: { user: string; password: string }, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? connectTls({ host: '127.0.0.1', port, ...tls }) : connect({ host: '127.0.0.1', port });
    let reply = '';
    const expected = auth ? 2 : 1;
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(`${auth ? resp(['AUTH', auth.user, auth.password]) : ''}${resp(['PING'])}`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const lines = reply.split('\r\n').slice(0, -1);
      if (lines.length >= expected) done(lines[expected - 1] === '+PONG');
    });
  });
}

/** The pid file a private server writes in its directory while it runs (it removes it on a clean stop). */
export const REDIS_PID_FILE = 'redis-server.pid';

/** A process's parent and command, or null when it is gone: /proc on Linux (slim images have no `ps`), `ps` elsewhere. */
function processInfo(pid: number): { parent: number; command: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    // The command name in parentheses may hold spaces: the fields after its closing one are state, then the parent.
    return { parent: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), command };
  } catch {
    if (existsSync('/proc/self')) return null;
  }
  try {
    const line = execFileSync('ps', ['-p', String(pid), '-o', 'ppid=,command='], { encoding: 'utf8' }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(line);
    return match ? { parent: Number(match[1]), command: match[2] as string } : null;
  } catch {
    return null;
  }
}

/**
 * Whether a process works in `dir`: a `redis-server` changes into its
 * `--dir`, so one whose pid a stale pid file names but that serves another
 * directory (pids are reused, and a machine running tests has many
 * servers) is told apart. Where /proc is not there to ask, assumed.
 */
function workingIn(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dir);
  } catch {
    return !existsSync('/proc/self');
  }
}

/**
 * A server an earlier launcher started on the same directory and left
 * running (that launcher was killed with SIGKILL, or crashed: services
 * follow their launcher through their IPC channel, a `redis-server` cannot).
 * Two servers appending to one AOF would corrupt it, so the old one is
 * stopped first (SIGTERM: it fsyncs and exits cleanly) and the new one loads
 * everything it acknowledged. Only a live `redis-server` of this directory
 * whose parent is no longer a Node process (an orphan, adopted by init) is
 * stopped: a pid file outlives its process, pids are reused, and a server
 * whose launcher still runs belongs to a system that is up, so this start is
 * refused instead.
 */
async function stopLeftoverServer(dir: string, say: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, REDIS_PID_FILE), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  const server = processInfo(pid);
  if (!server?.command.includes('redis-server') || !workingIn(pid, dir)) return;
  const parent = processInfo(server.parent);
  if (parent && /\bnode\b/.test(parent.command)) {
    throw new Error(`another launcher (pid ${server.parent}) runs a redis-server (pid ${pid}) on ${dir}: stop that system first, or give this one another data directory (TRIBUTARY_DATA_DIR)`);
  }
  say(`stopping a redis-server an earlier launcher left running on ${dir} (pid ${pid})`);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Gone meanwhile: what the signal was for.
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(() => !isProcessAlive(pid), { timeoutMs: 15_000, intervalMs: 50, description: `redis-server ${pid} to stop` });
  } catch {
    signal('SIGKILL');
    await waitFor(() => !isProcessAlive(pid), { timeoutMs: 5_000, intervalMs: 50, description: `redis-server ${pid} to die` });
  }
}

/**
 * A private `redis-server` kept alive like every service: the supervisor
 * restarts it with backoff on the same port and the same AOF directory, so
 * clients (which reconnect forever) find it where it was, with every
 * acknowledged write (appendfsync always) still there.
 */
export async function startPrivateRedis(options: {
  role: RedisRole;
  /** Default: the role. A region's Redis is a store-role server named `region-<name>`. */
  name?: string;
  dataDir: string;
  logDir: string;
  cwd: string;
  onEvent?: (line: string) => void;
  /**
   * Users instead of an open `default`: the aclfile text (acl.ts) and the
   * launcher's own user, which health checks log in as.
   */
  acl?: { file: string; user: string; password: string };
  /**
   * TLS only (TRIBUTARY_REDIS_TLS=on): no plain port, and every client must
   * show a certificate signed by `caFile` (`tls-auth-clients yes`). The
   * launcher's health check shows the client certificate.
   */
  tls?: { caFile: string; certFile: string; keyFile: string; clientCertFile: string; clientKeyFile: string };
}): Promise<PrivateRedis> {
  const name = options.name ?? options.role;
  const dir = join(options.dataDir, 'redis', name);
  mkdirSync(dir, { recursive: true });
  await stopLeftoverServer(dir, options.onEvent ?? (() => undefined));
  const port = await freePort();
  const tls = options.tls;
  const url = `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'yes']
    : ['--port', String(port)];
  const pingTls = tls ? { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile) } : undefined;
  const aclPath = join(dir, 'users.acl');
  // Rewritten on every launcher start, read on every server (re)start: users come back after a crash.
  if (options.acl) writeFileSync(aclPath, options.acl.file, { mode: 0o600 });
  const auth = options.acl ? { user: options.acl.user, password: options.acl.password } : undefined;
  const process = new Supervised({
    name: `${name}-redis`,
    command: 'redis-server',
    args: [
      ...listen,
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--pidfile', join(dir, REDIS_PID_FILE),
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      // A crash can cut the AOF's last command short; load what is whole.
      '--aof-load-truncated', 'yes',
      ...(options.acl ? ['--aclfile', aclPath, '--protected-mode', 'yes'] : ['--protected-mode', 'no']),
    ],
    cwd: options.cwd,
    env: {},
    ownProcessGroup: true,
    logFile: join(options.logDir, `${name}-redis.log`),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  process.start();
  const redis: PrivateRedis = {
    role: options.role,
    name,
    url,
    process,
    async waitReady(timeoutMs = 15_000) {
      await waitFor(() => answersPing(port, auth, pingTls), { timeoutMs, intervalMs: 50, description: `${name} redis-server on ${port} (log: ${join(options.logDir, `${name}-redis.log`)})` });
    },
  };
  await redis.waitReady();
  return redis;
}
