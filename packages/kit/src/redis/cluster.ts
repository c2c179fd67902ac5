import { createCluster, type RedisClusterType } from '@redis/client';
import type { tlsSocketOptions } from './tls.ts';
import { formatAuthority, parseHostList, urlProblem } from './host-list.ts';

/**
 * `redis+cluster://[user:pass@]host:port[,host:port...]`: a Redis Cluster
 * found from any of the listed nodes (seed nodes; the rest are learnt from
 * CLUSTER SLOTS). `rediss+cluster://` is the same over TLS, to every node.
 * WHATWG `URL` cannot parse a host list, hence a parser.
 */
export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  tls?: boolean;
  username?: string;
  password?: string;
}

export const CLUSTER_SCHEME = 'redis+cluster:';
export const TLS_CLUSTER_SCHEME = 'rediss+cluster:';

/** Whether a URL names a Redis Cluster (over TLS or not). */
export function isClusterUrl(url: string): boolean {
  return url.startsWith(`${CLUSTER_SCHEME}//`) || url.startsWith(`${TLS_CLUSTER_SCHEME}//`);
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/?$/;

/** Parses a Cluster URL, or throws TRIB_INVALID_CONFIG saying what is wrong with it (without echoing the password). */
export function parseClusterUrl(url: string): ClusterUrl {
  const match = CLUSTER_URL.exec(url);
  if (!match) throw urlProblem('is not of the form redis+cluster://[user:pass@]host:port[,host:port...] (or rediss+cluster:// for TLS; a cluster has no database number)');
  const [, scheme, username, password, hosts = ''] = match;
  const nodes = parseHostList(hosts, 'node');
  return {
    nodes,
    ...(scheme === 'rediss' ? { tls: true } : {}),
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/** The URL `parseClusterUrl` reads back: how the CLI applies `--password` to a cluster URL. */
export function formatClusterUrl(spec: ClusterUrl): string {
  return `${spec.tls ? 'rediss' : 'redis'}+cluster://${formatAuthority(spec, spec.nodes)}`;
}

type Argument = string | Buffer;

/** Commands whose arguments hold no key: any node may answer them. */
const KEYLESS = new Set([
  'ACL', 'AUTH', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DBSIZE', 'ECHO', 'FLUSHALL', 'FLUSHDB', 'FUNCTION', 'HELLO', 'INFO',
  'LASTSAVE', 'LATENCY', 'MEMORY', 'MODULE', 'PING', 'PUBLISH', 'RANDOMKEY', 'READONLY', 'READWRITE', 'ROLE', 'SCRIPT',
  'SLOWLOG', 'SPUBLISH', 'TIME', 'WAIT',
]);

/** Subcommand-first commands whose key is the third argument (`XGROUP CREATE <key> …`). */
const KEY_AFTER_SUBCOMMAND = new Set(['XGROUP', 'XINFO', 'OBJECT']);

/**
 * The key a raw command is routed by (its slot's primary runs it), or
 * undefined for a keyless command. node-redis's cluster needs it given with
 * each `sendCommand`; a table of the shapes is cheaper than a `COMMAND
 * GETKEYS` round trip per command. Multi-key commands are routed by their
 * first key: Redis refuses them (CROSSSLOT) unless every key shares its slot,
 * which is what the kit's hash-tagged key layouts promise.
 */
export function routingKey(args: readonly Argument[]): Argument | undefined {
  const name = String(args[0] ?? '').toUpperCase();
  if (KEYLESS.has(name)) return undefined;
  if (name === 'EVAL' || name === 'EVALSHA' || name === 'EVAL_RO' || name === 'EVALSHA_RO' || name === 'FCALL' || name === 'FCALL_RO') {
    return Number(args[2]) > 0 ? args[3] : undefined;
  }
  if (name === 'XREAD' || name === 'XREADGROUP') {
    const streams = args.findIndex((arg) => String(arg).toUpperCase() === 'STREAMS');
    return streams === -1 ? undefined : args[streams + 1];
  }
  if (KEY_AFTER_SUBCOMMAND.has(name)) return args[2];
  return args[1];
}

/**
 * The slot of a key, as Redis Cluster computes it (CRC16/XMODEM of the key,
 * or of its first non-empty `{hash tag}`, mod 16384). Used by tests and by
 * layouts that must prove two keys meet on one node.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

export type ClusterClient = RedisClusterType<{}, {}, {}, 2, {}>;

export interface ClusterConnectOptions {
  name?: string;
  commandTimeoutMs?: number;
  reconnectStrategy: (retries: number, cause: Error) => number | Error;
  /** The password from a file, read at every handshake of every node's connection (client.ts `passwordFileCredentials`). */
  credentialsProvider?: { type: 'async-credentials-provider'; credentials: () => Promise<{ username?: string; password: string }> };
  /** For a `rediss+cluster://` URL: TLS to every node, with the CA, client certificate and key of the settings. */
  tls?: ReturnType<typeof tlsSocketOptions>;
}

/** node-redis's own cluster client (slot map, MOVED/ASK, reconnects), RESP2 like every kit client. */
export function createClusterClient(spec: ClusterUrl, options: ClusterConnectOptions): ClusterClient {
  return createCluster({
    rootNodes: spec.nodes.map((node) => ({ socket: { host: node.host, port: node.port } })),
    defaults: {
      ...(options.credentialsProvider
        ? { credentialsProvider: options.credentialsProvider }
        : { ...(spec.username ? { username: spec.username } : {}), ...(spec.password ? { password: spec.password } : {}) }),
      ...(options.name ? { name: options.name } : {}),
      socket: { reconnectStrategy: options.reconnectStrategy, ...(options.tls ?? {}) },
    },
    RESP: 2,
    commandOptions: { timeout: options.commandTimeoutMs ?? 0 },
  }) as unknown as ClusterClient;
}
