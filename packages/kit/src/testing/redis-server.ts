import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

export interface RedisServerOptions {
  /** Turn on the append-only file (fsync always) for durability tests. */
  appendOnly?: boolean;
  /** Reuse a data directory, e.g. to restart a server on its AOF. */
  dir?: string;
  port?: number;
  /** Extra `--name value` arguments. */
  args?: string[];
  /** `requirepass`: clients must authenticate; `url` stays without it, `authenticatedUrl` carries it. */
  password?: string;
  /**
   * TLS only: no plain port, `port` is the `tls-port`, and the URLs are
   * `rediss://`. With `authClients` (the default) a client must show a
   * certificate signed by `caFile` (`tls-auth-clients yes`).
   */
  tls?: { caFile: string; certFile: string; keyFile: string; authClients?: boolean; clientCertFile?: string; clientKeyFile?: string };
}

export interface RedisServer {
  readonly url: string;
  /** `url` with the password, when the server has one. */
  readonly authenticatedUrl: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILL, keeps the data directory. */
  kill(): Promise<void>;
  /** Graceful stop, removes the data directory unless it was given. */
  stop(): Promise<void>;
  /** Starts a new server on the same port and directory (AOF replay). */
  restart(): Promise<RedisServer>;
}

/**
 * Starts a real, private `redis-server` on a free loopback port. A free port
 * can be taken by another test process between the probe and the bind; then
 * this server exits and we try a fresh port, and we only accept a server whose
 * data directory is ours, so two suites never share (and flush) one server.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  // TRIBUTARY_TEST_REDIS=cluster: every server a test asks for is a 3-master cluster instead (docs/redis-deployments.md, "Redis Cluster").
  if (process.env.TRIBUTARY_TEST_REDIS === 'cluster' && !options.args?.includes('--cluster-enabled')) return clusterInPlaceOfServer();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (error) {
      if (options.port !== undefined || attempt >= 5 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function clusterInPlaceOfServer(): Promise<RedisServer> {
  const { startRedisCluster } = await import('./redis-cluster.ts');
  const cluster = await startRedisCluster();
  const first = cluster.nodes[0] as RedisServer;
  return {
    url: cluster.url,
    authenticatedUrl: cluster.url,
    port: first.port,
    dir: first.dir,
    kill: () => cluster.stop(),
    stop: () => cluster.stop(),
    restart: () => Promise.reject(new Error('TRIBUTARY_TEST_REDIS=cluster: a cluster is not restarted on its AOF')),
  };
}

async function startOnce(options: RedisServerOptions, port: number): Promise<RedisServer> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tributary-redis-'));
  const tls = options.tls;
  const listen = tls
    ? [
        '--port', '0',
        '--tls-port', String(port),
        '--tls-cert-file', tls.certFile,
        '--tls-key-file', tls.keyFile,
        '--tls-ca-cert-file', tls.caFile,
        '--tls-auth-clients', tls.authClients === false ? 'no' : 'yes',
      ]
    : ['--port', String(port)];
  const args = [
    ...listen,
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', options.appendOnly ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--protected-mode', 'no',
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); });
  child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const scheme = tls ? 'rediss' : 'redis';
  const url = `${scheme}://127.0.0.1:${port}`;
  const authenticatedUrl = options.password === undefined ? url : `${scheme}://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`;
  // The probe shows the client certificate the server wants (the server's own one when no client one is given: it carries clientAuth).
  const probeSocket = tls
    ? { tls: true as const, ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile ?? tls.certFile), key: readFileSync(tls.clientKeyFile ?? tls.keyFile) }
    : {};

  await waitFor(
    async () => {
      if (child.exitCode !== null) {
        if (/already in use|Could not create server (TCP|TLS) listening socket/i.test(output)) throw new PortTakenError(output);
        throw new Error(`redis-server exited: ${output}`);
      }
      const probe = createClient({ url: authenticatedUrl, socket: { ...probeSocket, reconnectStrategy: false } });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        const reply = await probe.configGet('dir');
        if (reply.dir !== realpathSync(dir)) {
          // Someone else's server answers on this port: ours failed to bind.
          child.kill('SIGKILL');
          throw new PortTakenError(`port ${port} is taken by another redis-server`);
        }
        return true;
      } finally {
        if (probe.isOpen) probe.destroy();
      }
    },
    { timeoutMs: 15_000, description: `redis-server on ${port}`, stopOn: (error) => error instanceof PortTakenError },
  );

  const server: RedisServer = {
    url,
    authenticatedUrl,
    port,
    dir,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await server.kill();
      return startRedisServer({ ...options, port, dir });
    },
  };
  return server;
}
