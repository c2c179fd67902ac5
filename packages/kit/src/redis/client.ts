import { readFileSync } from 'node:fs';
import { createClient } from '@redis/client';
import { TributaryError } from '../errors.ts';
import { isRedisError } from './reply-errors.ts';
import { createClusterClient, isClusterUrl, keySlot, parseClusterUrl, routingKey, type ClusterClient, type ClusterUrl } from './cluster.ts';
import { discoverPrimary, nodeUrl, parseSentinelUrl, SENTINEL_SCHEME, type SentinelAuth, type SentinelUrl } from './sentinel.ts';
import { tlsSocketOptions, type RedisTls } from './tls.ts';

/**
 * RESP2 on purpose: the kit parses raw replies in one place
 * (`redis/replies.ts`) and node-redis 6 defaults to RESP3, whose map
 * replies differ per command.
 */
/** Errors that retrying cannot fix: wrong credentials or a server that wants some. */
const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
/** Nor can it fix a TLS handshake the server or we refused (no or wrong client certificate, untrusted server certificate). */
const TLS_FAILURE = /SSL routines|certificate|ERR_TLS_|ERR_SSL_|self[- ]signed|Hostname\/IP does not match/i;

/**
 * The password in `file`, read again at every (re)connection: how a key is
 * rotated without a restart (docs/least-privilege.md, "Rotating"). Written
 * by renaming a whole file over it (the launcher, `tributary keys rotate`,
 * a Kubernetes Secret volume), so a read never sees half of one.
 */
export function readPasswordFile(file: string): string {
  const password = readFileSync(file, 'utf8').trim();
  if (!password) throw new TributaryError('TRIB_INVALID_CONFIG', `${file} is empty`, { message: `${file} is empty` });
  return password;
}

/**
 * node-redis's own credentials provider, asked at every handshake. The URL's
 * user stays; its password is the file's. A file that cannot be read at a
 * reconnection (being replaced by hand, say) leaves the last password read:
 * the connection is tried with that rather than with none.
 */
function passwordFileAuth(url: string, file: string) {
  const parsed = new URL(url);
  const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  parsed.username = '';
  parsed.password = '';
  // Without credentials in the URL: node-redis would otherwise put its own provider over this one.
  return { url: parsed.toString(), credentialsProvider: passwordFileCredentials(username, file) };
}

/** The provider itself, for a client given its user apart from a URL (a cluster's nodes). */
export function passwordFileCredentials(username: string | undefined, file: string) {
  let password = readPasswordFile(file);
  return {
    type: 'async-credentials-provider' as const,
    credentials: async () => {
      try {
        password = readPasswordFile(file);
      } catch {
        // the last one read (see above)
      }
      return { ...(username ? { username } : {}), password };
    },
  };
}

function createResp2Client(url: string, options: ConnectOptions, state = { connected: false }) {
  const { name, commandTimeoutMs = 0, failFast = false, passwordFile } = options;
  return createClient({
    ...(passwordFile ? passwordFileAuth(url, passwordFile) : { url }),
    RESP: 2,
    ...(name ? { name } : {}),
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      // node-redis turns TLS on for rediss:// itself; the CA, client certificate and key come from the settings (redis/tls.ts).
      ...(url.startsWith('rediss:') ? tlsSocketOptions(options.tls) : {}),
      // Before the first connection, bad credentials or a refused TLS handshake end connect() with the
      // error instead of a silent retry loop; afterwards every failure is ridden out (credentials may be
      // fixed on the server side).
      reconnectStrategy: (retries: number, cause: Error) =>
        !state.connected && (failFast || AUTH_FAILURE.test(cause.message) || TLS_FAILURE.test(`${cause.message} ${(cause as NodeJS.ErrnoException).code ?? ''}`))
          ? cause
          : Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
    },
  });
}

export type RedisClient = ReturnType<typeof createResp2Client>;

/** Removes the password from a connection string so it can be logged. */
export function redactUrl(url: string): string {
  if (isClusterUrl(url)) return url.replace(/^(rediss?\+cluster:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) return url.replace(/^(redis\+sentinel:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

export interface ConnectOptions {
  /** Shown by CLIENT LIST, helps operators see who is connected. */
  name?: string;
  /** Called on connection errors; node-redis reconnects by itself. */
  onError?: (error: Error) => void;
  /**
   * Per-command timeout, off (0) by default; node-redis's own default is
   * 5 000 ms. In node-redis 6 it only bounds how long a command waits to be
   * written (in the offline queue while reconnecting): the timer is removed
   * once the command is on the socket, so it never caught a hung reply. It
   * costs an `AbortSignal.timeout` and two listener calls per command, which
   * cut pipelined XADD throughput to a fifth (`npm run bench --
   * command-timeout`, docs/benchmarks.md). Set it where failing after a
   * while beats waiting for the reconnect.
   */
  commandTimeoutMs?: number;
  /** End connect() with the first connection error instead of retrying until the server is there (one-off tools). */
  failFast?: boolean;
  /**
   * CA, client certificate and key for a `rediss://` URL (mutual TLS);
   * ignored for other URLs. Without it a `rediss://` server is checked
   * against the system's CAs and no client certificate is shown.
   */
  tls?: RedisTls | undefined;
  /** For a `redis+sentinel://` URL: the Sentinels' own credentials (their `requirepass` or ACL user); the URL's are the data nodes'. */
  sentinelAuth?: SentinelAuth | undefined;
  /**
   * A file holding the password, read at every (re)connection and winning
   * over the URL's (`<SERVICE>_BUS_REDIS_PASSWORD_FILE`, ...): a rotated key
   * is used from the next connection on. Plain `redis://` and `rediss://` only:
   * Sentinel and Cluster URLs carry their credentials themselves.
   */
  passwordFile?: string | undefined;
  /**
   * What every publisher on this connection waits for after its XADDs unless
   * it says otherwise: `WAIT count timeoutMs` (BUS_REDIS_WAIT_REPLICAS). See
   * createPublisher's `waitForReplicas` and docs/redis-deployments.md.
   */
  waitForReplicas?: ReplicaWait;
}

export interface ReplicaWait {
  count: number;
  timeoutMs: number;
}

const replicaWaits = new WeakMap<object, ReplicaWait>();

/** The replica acknowledgement a connection was made with (`ConnectOptions.waitForReplicas`), if any. */
export function replicaWaitOf(redis: RedisClient): ReplicaWait | undefined {
  return replicaWaits.get(redis);
}

/**
 * `WAIT count timeoutMs` for this connection's writes so far (default: the
 * wait it was made with; nothing without one), and TRIB_NOT_REPLICATED when
 * fewer replicas hold them in time: they are on the primary, so the caller
 * retries with the same ids or Idempotency-Key. For writes made by a script
 * (XADD inside Lua) that a caller is about to be told are accepted.
 *
 * On a cluster, WAIT counts the replicas of one node's connection: `key` (a
 * key the writes touched, e.g. the stream) names the node, whose connection
 * is the one the cluster client sent those writes on. Without it the wait
 * is refused rather than asked of a node picked at random.
 */
export async function confirmReplicated(
  redis: RedisClient,
  what: string,
  options: { wait?: ReplicaWait | undefined; key?: string } = {},
): Promise<void> {
  const wait = 'wait' in options ? options.wait : replicaWaitOf(redis);
  if (!wait || wait.count <= 0) return;
  const node = options.key === undefined ? redis : await clientForKey(redis, options.key);
  const confirmed = Number(await node.sendCommand(['WAIT', String(wait.count), String(wait.timeoutMs)]));
  if (confirmed < wait.count) throw new TributaryError('TRIB_NOT_REPLICATED', `${what} reached ${confirmed} of ${wait.count} replica(s) within ${wait.timeoutMs} ms`);
}

function withReplicaWait(client: RedisClient, options: ConnectOptions): RedisClient {
  if (options.waitForReplicas && options.waitForReplicas.count > 0) replicaWaits.set(client, options.waitForReplicas);
  return client;
}

/**
 * Connects a node-redis client that reconnects forever with capped backoff,
 * which is what a long-running service wants: a Redis restart is an outage to
 * ride out, not a reason to exit.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<RedisClient> {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) {
    const spec = parseSentinelUrl(url);
    return withReplicaWait(await connectThroughSentinel(options.sentinelAuth ? { ...spec, sentinelAuth: options.sentinelAuth } : spec, options), options);
  }
  const state = { connected: false };
  let client: RedisClient;
  try {
    if (isClusterUrl(url)) client = clusterFacade(parseClusterUrl(url), options);
    else client = createResp2Client(url, options, state);
  } catch (error) {
    if (options.passwordFile && (error as NodeJS.ErrnoException).code) {
      const message = `cannot read the Redis password file ${options.passwordFile}: ${(error as Error).message}`;
      throw new TributaryError('TRIB_INVALID_CONFIG', message, { cause: error, message });
    }
    throw error;
  }
  if (isClusterUrl(url)) {
    // The facade reports its own errors and knows when its first connection is made.
    await client.connect();
    return withReplicaWait(client, options);
  }
  client.on('error', (error: Error) => options.onError?.(error));
  await client.connect();
  state.connected = true;
  return withReplicaWait(client, options);
}

/**
 * A client that follows the primary Sentinel names. node-redis's own
 * `createSentinel` returns a different type (its `sendCommand` takes an extra
 * read-only flag, WATCH needs a leased client), which every module of the kit
 * would have to learn; instead this keeps a plain node-redis client to the
 * current primary behind a Proxy and swaps it when the Sentinels name another
 * one. Failover itself stays Sentinel's: this only asks whom they promoted,
 * each time the connection fails (every failed reconnect attempt is an
 * 'error'), every SENTINEL_POLL_MS while it stays down, and once more after
 * every reconnection. The last two are for the old primary coming back: it
 * restarts as a primary with its own data until the Sentinels make it a
 * replica, seconds later. A client whose reconnect timer (up to 2 s) fired
 * into that window would otherwise have written there, and lost it.
 */
async function connectThroughSentinel(spec: SentinelUrl, options: ConnectOptions): Promise<RedisClient> {
  const primary = await discoverPrimary(spec);
  const client = follow(spec, nodeUrl(spec, primary), options);
  await client.connect();
  return client;
}

type Listener = (...args: unknown[]) => void;

/** How often a follower whose connection is down asks the Sentinels, between node-redis's reconnect attempts. */
const SENTINEL_POLL_MS = 200;

function follow(spec: SentinelUrl, initialUrl: string, options: ConnectOptions): RedisClient {
  let url = initialUrl;
  const state = { connected: false };
  const make = (target: string) => createResp2Client(target, options, state);
  let current = make(url);
  let wantOpen = false;
  let checking = false;
  const listeners: Array<[string, Listener]> = [];
  // A new client starts with no subscriptions: the channels are replayed on it (the kit subscribes with `subscribe(channel, listener)` only).
  const subscriptions = new Map<string, Set<Listener>>();

  const recheck = async () => {
    if (checking || !wantOpen) return;
    checking = true;
    try {
      const target = nodeUrl(spec, await discoverPrimary(spec));
      if (target === url || !wantOpen) return;
      const old = current;
      url = target;
      current = make(target);
      attach(current);
      for (const [event, listener] of listeners) current.on(event, listener);
      old.destroy();
      await current.connect();
      for (const [channel, channelListeners] of subscriptions) {
        for (const listener of channelListeners) await current.subscribe(channel, listener);
      }
    } catch {
      // No Sentinel reachable or the new primary not up yet: the next error asks again.
    } finally {
      checking = false;
    }
  };
  let polling: NodeJS.Timeout | null = null;
  const pollWhileDown = () => {
    if (polling) return;
    polling = setInterval(() => {
      if (!wantOpen || current.isReady) {
        if (polling) clearInterval(polling);
        polling = null;
        return;
      }
      void recheck();
    }, SENTINEL_POLL_MS);
    polling.unref();
  };
  const attach = (client: RedisClient) => {
    let readyBefore = false;
    client.on('error', (error: Error) => {
      options.onError?.(error);
      void recheck();
      pollWhileDown();
    });
    client.on('ready', () => {
      // A reconnection may have reached a node the Sentinels no longer name (the old primary, back before its demotion).
      if (readyBefore) void recheck();
      readyBefore = true;
    });
  };
  attach(current);

  const proxy: RedisClient = new Proxy(current, {
    get(_target, property) {
      switch (property) {
        case 'connect':
          return async () => {
            wantOpen = true;
            await current.connect();
            state.connected = true;
            return proxy;
          };
        case 'on':
          return (event: string, listener: Listener) => {
            listeners.push([event, listener]);
            current.on(event, listener);
            return proxy;
          };
        case 'close':
        case 'quit':
        case 'destroy':
        case 'disconnect': {
          const end: unknown = Reflect.get(current, property, current);
          if (typeof end !== 'function') return end;
          return (...args: unknown[]) => {
            // Closed on purpose: a later connection error must not open a client to a new primary.
            wantOpen = false;
            return (end as (...args: unknown[]) => unknown).apply(current, args);
          };
        }
        case 'sendCommand':
          // A demoted primary answers writes with READONLY: ask the Sentinels whom they promoted.
          return async (...args: Parameters<RedisClient['sendCommand']>) => {
            try {
              return await current.sendCommand(...args);
            } catch (error) {
              if (isRedisError(error, 'READONLY')) void recheck();
              throw error;
            }
          };
        case 'subscribe':
          return async (channel: string, listener: Listener) => {
            await current.subscribe(channel, listener);
            const channelListeners = subscriptions.get(channel) ?? new Set<Listener>();
            subscriptions.set(channel, channelListeners.add(listener));
          };
        case 'unsubscribe':
          return async (channel: string, listener: Listener) => {
            subscriptions.get(channel)?.delete(listener);
            if (subscriptions.get(channel)?.size === 0) subscriptions.delete(channel);
            await current.unsubscribe(channel, listener);
          };
        case 'duplicate':
          // A duplicate (e.g. for blocking XREADGROUP) follows the primary on its own.
          return () => follow(spec, url, options);
      }
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
  return proxy;
}

/**
 * Commands whose answer is one node's, read as if for the whole cluster (the
 * keyspace), or that mean nothing sent to a node picked at random (WAIT
 * counts the replicas of that connection's own writes).
 */
const ONE_NODE_ONLY = new Set(['SCAN', 'KEYS', 'DBSIZE', 'FLUSHDB', 'FLUSHALL', 'RANDOMKEY', 'WAIT']);

const CLUSTER = Symbol('tributary.redis.cluster');

/**
 * The connection that serves `key`: on a cluster the client of the primary
 * holding its slot, elsewhere the client itself. For what only one
 * connection can do, `WATCH` then `MULTI`/`EXEC`, and a `SCAN` of the keys
 * of one hash tag. A cluster's node clients are shared by everything that
 * uses that cluster client: call this on a `duplicate()` kept for the purpose.
 */
export async function clientForKey(redis: RedisClient, key: string): Promise<RedisClient> {
  const cluster = (redis as unknown as { [CLUSTER]?: ClusterClient })[CLUSTER];
  return cluster ? ((await cluster.getNodeClientForKey(key)) as unknown as RedisClient) : redis;
}

/** Whether a client is the kit's Redis Cluster client (a command or script must keep to one slot). */
export function isCluster(redis: RedisClient): boolean {
  return (redis as unknown as { [CLUSTER]?: ClusterClient })[CLUSTER] !== undefined;
}

/**
 * The primaries behind a client: on a cluster the connection of each (the
 * cluster client's own, closed with it), for what one asks of every shard
 * (a SCAN of the whole keyspace); elsewhere the client itself.
 */
export async function nodeClients(redis: RedisClient): Promise<RedisClient[]> {
  const cluster = (redis as unknown as { [CLUSTER]?: ClusterClient })[CLUSTER];
  if (!cluster) return [redis];
  return (await Promise.all(cluster.masters.map((node) => cluster.nodeClient(node)))) as unknown as RedisClient[];
}

/**
 * The keys matching `pattern`, page by page (SCAN with MATCH), from every
 * primary of a cluster, or from the one server. A key may come twice (SCAN's
 * promise); none that existed throughout is missed.
 */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1_000): AsyncGenerator<string[]> {
  for (const node of await nodeClients(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)]);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/**
 * Runs `task` on every node behind a client, for what a server keeps per node
 * and does not share over the cluster bus: ACL users, FLUSHALL in a test. On
 * a cluster, each primary's connection (the cluster client's own) and, with
 * `replicas`, a connection of the cluster's settings to each replica that
 * CLUSTER NODES lists as up (a replica that takes over its shard must already
 * hold the ACL users), closed when done. On one server (or Sentinel's
 * primary), the client itself. Replies in node order, primaries first.
 */
export async function forEachNode<T>(redis: RedisClient, task: (node: RedisClient) => Promise<T>, options: { replicas?: boolean } = {}): Promise<T[]> {
  const cluster = (redis as unknown as { [CLUSTER]?: ClusterClient })[CLUSTER];
  const primaries = await nodeClients(redis);
  const results = await Promise.all(primaries.map(task));
  if (!cluster || !options.replicas || primaries.length === 0) return results;
  const listing = String(await (primaries[0] as RedisClient).sendCommand(['CLUSTER', 'NODES']));
  // `<id> <ip:port@cport[,hostname]> <flags> <primary id> ...`: replicas up, with an address.
  const replicas = listing
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, , flags = '']) => flags.split(',').includes('slave') && !/fail|noaddr|handshake/.test(flags))
    .map(([, address = '']) => /^(.*):(\d+)@/.exec(address))
    .filter((match): match is RegExpExecArray => match !== null);
  for (const [, host = '', port = ''] of replicas) {
    // A node object of our own: the cluster client makes a connection with its settings (credentials, TLS) but does not keep it.
    const node = { host, port: Number(port), address: `${host}:${port}`, readonly: true } as unknown as Parameters<ClusterClient['nodeClient']>[0];
    const client = (await cluster.nodeClient(node)) as unknown as RedisClient;
    try {
      results.push(await task(client));
    } finally {
      await client.close().catch(() => client.destroy());
    }
  }
  return results;
}

/**
 * A Redis Cluster behind the kit's one client type. node-redis's cluster
 * client routes its typed commands by key already; what differs is the raw
 * `sendCommand` (it wants the routing key given) and `multi().addCommand`,
 * which every module of the kit uses. This Proxy supplies the key from the
 * command's shape (`routingKey`), so a module written for one server runs
 * on a cluster unchanged, provided the keys one script or transaction
 * touches share a slot (the kit's layouts hash-tag them; CROSSSLOT otherwise).
 */
function clusterFacade(spec: ClusterUrl, options: ConnectOptions): RedisClient {
  const state = { connected: false };
  const cluster: ClusterClient = createClusterClient(spec, {
    ...(options.name ? { name: options.name } : {}),
    ...(options.passwordFile ? { credentialsProvider: passwordFileCredentials(spec.username, options.passwordFile) } : {}),
    ...(spec.tls ? { tls: tlsSocketOptions(options.tls) } : {}),
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
    reconnectStrategy: (retries, cause) =>
      !state.connected && (options.failFast || AUTH_FAILURE.test(cause.message)) ? cause : Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
  });
  cluster.on('error', (error: Error) => options.onError?.(error));
  const proxy = new Proxy(cluster, {
    get(target, property) {
      switch (property) {
        case CLUSTER:
          return target;
        case 'connect':
          return async () => {
            await target.connect();
            state.connected = true;
            return proxy;
          };
        case 'sendCommand':
          return (args: Array<string | Buffer>, commandOptions?: Parameters<ClusterClient['sendCommand']>[3]) => {
            const name = String(args[0] ?? '').toUpperCase();
            if (ONE_NODE_ONLY.has(name)) {
              return Promise.reject(new TributaryError('TRIB_NOT_ON_CLUSTER', name));
            }
            return target.sendCommand(routingKey(args), undefined, args, commandOptions);
          };
        case 'multi':
        case 'MULTI':
          return () => clusterMulti(target.multi());
        // Sharded pub/sub (Redis 7): a channel lives on the node of its slot, so a
        // publish reaches its subscribers without a broadcast to every node, and
        // its reply counts them all (a plain PUBLISH counts one node's only).
        case 'publish':
        case 'PUBLISH':
          return target.sPublish.bind(target);
        case 'subscribe':
        case 'SUBSCRIBE':
          return target.sSubscribe.bind(target);
        case 'unsubscribe':
        case 'UNSUBSCRIBE':
          return target.sUnsubscribe.bind(target);
        case 'on':
          return (event: string, listener: (...args: unknown[]) => void) => {
            if (event === 'ready') onClusterReady(target, listener);
            else target.on(event as 'error', listener);
            return proxy;
          };
        case 'duplicate':
          // A duplicate (e.g. for blocking XREADGROUP) is a cluster client of its own: a blocked read holds its node's connection.
          return () => clusterFacade(spec, options);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return proxy as unknown as RedisClient;
}

/**
 * A cluster client's `ready`, as a single client's means it: once when it
 * has first connected, then each time a node's connection is made again
 * after it dropped. node-redis re-sends a connection's (S)SUBSCRIBEs before
 * that node's `ready`, so a subscriber hears here that it was resubscribed
 * (and missed what was published meanwhile); the cluster client itself only
 * reports `node-ready` for every node's connection, reconnected or new.
 */
function onClusterReady(cluster: ClusterClient, listener: (...args: unknown[]) => void): void {
  const dropped = new Set<string>();
  const address = (node: unknown) => {
    const { host, port } = node as { host?: string; port?: number };
    return `${String(host)}:${String(port)}`;
  };
  cluster.on('connect', () => listener());
  cluster.on('node-reconnecting', (node: unknown) => dropped.add(address(node)));
  cluster.on('node-disconnect', (node: unknown) => dropped.add(address(node)));
  cluster.on('node-ready', (node: unknown) => {
    if (dropped.delete(address(node))) listener();
  });
}

type ClusterMulti = ReturnType<ClusterClient['multi']>;

/**
 * A cluster transaction whose raw `addCommand(args)` is routed like
 * `sendCommand`; typed commands route themselves. Keys of two slots in one
 * transaction are refused before it is sent, naming two of them: the node
 * would answer MOVED for the strangers, and node-redis would follow the
 * redirection until it gives up with "Too many Cluster redirections".
 */
function clusterMulti(multi: ClusterMulti): ClusterMulti {
  const keysBySlot = new Map<number, string>();
  const proxy: ClusterMulti = new Proxy(multi, {
    get(target, property) {
      if (property === 'addCommand') {
        return (args: Array<string | Buffer>, transformReply?: Parameters<ClusterMulti['addCommand']>[3]) => {
          const key = routingKey(args);
          if (key !== undefined && keysBySlot.size < 2) {
            const name = key.toString();
            if (!keysBySlot.has(keySlot(name))) keysBySlot.set(keySlot(name), name);
          }
          target.addCommand(key, undefined, args, transformReply);
          return proxy;
        };
      }
      if ((property === 'exec' || property === 'EXEC') && keysBySlot.size > 1) {
        return () => Promise.reject(new TributaryError('TRIB_CROSSSLOT', [...keysBySlot.values()].join(' and ')));
      }
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...args: unknown[]) => unknown).apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
