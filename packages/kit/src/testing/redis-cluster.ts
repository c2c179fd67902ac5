import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createClient } from '@redis/client';
import { parseInfo } from '../redis/replies.ts';
import { freePort } from './free-port.ts';
import { startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.ts';
import { waitFor } from './wait-for.ts';

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...`: what a service is given. */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  /** Every node stopped, their directories removed. */
  stop(): Promise<void>;
}

async function runRedisCli(args: string[]): Promise<string> {
  const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${code}: ${output.slice(-2_000)}`);
  return output;
}

/**
 * A real Redis Cluster of `masters` primaries (and `replicas` per primary,
 * none unless asked) on loopback, made
 * the way an operator makes one: `redis-server --cluster-enabled yes` per
 * node, then `redis-cli --cluster create`. Each node's cluster bus gets a free
 * port of its own (`cluster-port`) rather than the default port + 10000,
 * which may be taken or out of range.
 */
export async function startRedisCluster(options: { masters?: number; replicas?: number; tls?: RedisServerOptions['tls'] } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const tls = options.tls;
  // TLS on the clients' port, the cluster bus and replication alike: nothing between the nodes is plain.
  const tlsArgs = tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : [];
  const cliTls = tls ? ['--tls', '--cacert', tls.caFile, '--cert', tls.clientCertFile ?? tls.certFile, '--key', tls.clientKeyFile ?? tls.keyFile] : [];
  if (masters < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const busPort = await freePort();
      nodes.push(
        await startRedisServer({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort), '--cluster-node-timeout', '5000', ...tlsArgs],
          ...(tls ? { tls } : {}),
        }),
      );
    }
    await runRedisCli([...cliTls, '--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    // `create` returns once the slots are assigned; every node must also have heard of every other before a client's first CLUSTER SLOTS is whole.
    for (const node of nodes) {
      const probeTls = tls
        ? { tls: true as const, ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile ?? tls.certFile), key: readFileSync(tls.clientKeyFile ?? tls.keyFile) }
        : {};
      const probe = createClient({ url: node.url, socket: { reconnectStrategy: false, ...probeTls } });
      probe.on('error', () => undefined);
      await probe.connect();
      try {
        await waitFor(
          async () => {
            const info = parseInfo(await probe.sendCommand(['CLUSTER', 'INFO']));
            if (info.cluster_state !== 'ok' || info.cluster_slots_assigned !== '16384' || Number(info.cluster_known_nodes) !== nodes.length) return false;
            // Every replica known as one by this node, and each replica's copy in sync: a test may WAIT for it at once.
            const listing = String(await probe.sendCommand(['CLUSTER', 'NODES']));
            const replicasKnown = listing.split('\n').filter((line) => /^\S+ \S+ (\S*,)?slave(,\S*)? [0-9a-f]{40} /.test(line)).length;
            if (replicasKnown !== masters * replicas) return false;
            const replication = parseInfo(await probe.sendCommand(['INFO', 'replication']));
            return replication.role === 'master' || replication.master_link_status === 'up';
          },
          { timeoutMs: 20_000, description: `cluster state ok on node ${node.port}` },
        );
      } finally {
        probe.destroy();
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    // Any node will do as a seed: the client learns the rest from CLUSTER SLOTS.
    url: `${tls ? 'rediss' : 'redis'}+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`,
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
