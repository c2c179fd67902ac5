import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { freePort } from './free-port.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';
import { waitFor } from './wait-for.ts';

export const SENTINEL_MASTER_NAME = 'mymaster';

export interface Sentinel {
  readonly port: number;
  kill(): Promise<void>;
}

export interface SentinelGroup {
  /** `redis+sentinel://127.0.0.1:p1,…/mymaster`: what a service is given. */
  readonly url: string;
  readonly sentinels: readonly Sentinel[];
  /** The servers as started: `servers[0]` the first primary, `servers[1]` its replica. */
  readonly servers: RedisServer[];
  /** The port of the server the Sentinels name as primary now. */
  primaryPort(): Promise<number | null>;
  /** Starts a killed server again on its port and AOF; the Sentinels make it a replica of whichever is primary. */
  restart(server: RedisServer): Promise<RedisServer>;
  stop(): Promise<void>;
}

/** One command to a server or Sentinel on loopback, on a connection of its own. */
export async function askRedis(port: number, command: string[], password?: string): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, RESP: 2, ...(password ? { password } : {}) });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(command);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export interface SentinelOptions {
  /** More lines of sentinel.conf (`requirepass`, `sentinel auth-pass`, users). */
  lines?: readonly string[];
  /** The Sentinel's own `requirepass`, for asking it whether it is up. */
  password?: string;
  /** Sentinels that must agree the primary is down (default 2). */
  quorum?: number;
}

/** A real `redis-server --sentinel` on a free port watching the primary; it rewrites its config file, so each gets its own. */
export async function startSentinel(dir: string, primaryPort: number, options: SentinelOptions = {}): Promise<Sentinel> {
  const port = await freePort();
  const conf = join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} ${options.quorum ?? 2}`,
      // Fast failover for tests; production keeps the defaults (30 s / 3 min).
      `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
      `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
      ...(options.lines ?? []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(async () => (await askRedis(port, ['SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME], options.password)) !== null, {
    timeoutMs: 15_000,
    description: `sentinel on ${port}`,
  });
  return {
    port,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * What a managed Standard tier is: a primary with AOF, one replica, and three
 * Sentinels (quorum 2) that fail over within seconds of the primary's death.
 * Resolves once the replica is in sync and every Sentinel knows the replica
 * and the other two, so a failover can happen at once.
 */
export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sentinel-'));
  const servers: RedisServer[] = [];
  const sentinels: Sentinel[] = [];
  const stop = async () => {
    await Promise.all(sentinels.map((sentinel) => sentinel.kill()));
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startRedisServer({ appendOnly: true });
    servers.push(primary);
    servers.push(await startRedisServer({ appendOnly: true, args: ['--replicaof', '127.0.0.1', String(primary.port)] }));
    await waitFor(async () => /master_link_status:up/.test(String(await askRedis(servers[1]!.port, ['INFO', 'replication']))), {
      timeoutMs: 15_000,
      description: 'replica in sync',
    });
    for (let n = 0; n < 3; n++) sentinels.push(await startSentinel(dir, primary.port));
    // A failover needs a quorum that knows the replica and each other (learnt through the primary's hello channel).
    await waitFor(
      async () => {
        for (const sentinel of sentinels) {
          const peers = (await askRedis(sentinel.port, ['SENTINEL', 'sentinels', SENTINEL_MASTER_NAME])) as unknown[];
          const replicas = (await askRedis(sentinel.port, ['SENTINEL', 'replicas', SENTINEL_MASTER_NAME])) as unknown[];
          if (peers.length < 2 || replicas.length < 1) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, description: 'sentinels know each other and the replica' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis+sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${SENTINEL_MASTER_NAME}`,
    sentinels,
    servers,
    async primaryPort() {
      const reply = (await askRedis(sentinels[0]!.port, ['SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME])) as [string, string] | null;
      return reply ? Number(reply[1]) : null;
    },
    async restart(server) {
      const restarted = await server.restart();
      servers[servers.indexOf(server)] = restarted;
      return restarted;
    },
    stop,
  };
}
