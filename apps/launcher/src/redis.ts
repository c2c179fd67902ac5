import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort, waitFor } from 'tributary/testing';
import { Supervised } from './supervisor.ts';

export type RedisRole = 'bus' | 'store';

export interface PrivateRedis {
  readonly role: RedisRole;
  readonly url: string;
  readonly process: Supervised;
  /** Waits until the server answers PING (after a start or a restart). */
  waitReady(timeoutMs?: number): Promise<void>;
}

/**
 * One inline PING over a plain socket: a client library would queue the
 * command and reconnect while the server is still loading its AOF, and the
 * launcher only needs "answers now or not".
 */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A private `redis-server` kept alive like every service: the supervisor
 * restarts it with backoff on the same port and the same AOF directory, so
 * clients (which reconnect forever) find it where it was, with every
 * acknowledged write (appendfsync always) still there.
 */
export async function startPrivateRedis(options: {
  role: RedisRole;
  dataDir: string;
  logDir: string;
  cwd: string;
  onEvent?: (line: string) => void;
}): Promise<PrivateRedis> {
  const dir = join(options.dataDir, 'redis', options.role);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const process = new Supervised({
    name: `${options.role}-redis`,
    command: 'redis-server',
    args: [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      // A crash can cut the AOF's last command short; load what is whole.
      '--aof-load-truncated', 'yes',
      '--protected-mode', 'no',
    ],
    cwd: options.cwd,
    env: {},
    logFile: join(options.logDir, `${options.role}-redis.log`),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  process.start();
  const redis: PrivateRedis = {
    role: options.role,
    url,
    process,
    async waitReady(timeoutMs = 15_000) {
      await waitFor(() => answersPing(port), { timeoutMs, intervalMs: 50, description: `${options.role} redis-server on ${port} (log: ${join(options.logDir, `${options.role}-redis.log`)})` });
    },
  };
  await redis.waitReady();
  return redis;
}
