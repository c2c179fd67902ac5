/**
 * Where a service's data lives is decided by connection strings only, so a
 * move to a managed Redis or PostgreSQL is a change of environment:
 * `<SERVICE>_BUS_REDIS_URL` > `BUS_REDIS_URL`, `<SERVICE>_STORE_REDIS_URL` >
 * `STORE_REDIS_URL`, `<SERVICE>_DATABASE_URL` > `DATABASE_URL` (a shared
 * server gets one schema per service) > PGlite under `./.data/pg/<service>`.
 */
export interface ServiceConfig {
  service: string;
  host: string;
  port: number;
  busRedisUrl: string;
  storeRedisUrl: string;
  /**
   * CA, client certificate and key for a `rediss://` bus or store
   * (`[<SERVICE>_]BUS_REDIS_TLS_*` > `[<SERVICE>_]REDIS_TLS_*`, redis/tls.ts);
   * unset for other URLs. The files were readable when the config was read.
   */
  busRedisTls?: RedisTls;
  storeRedisTls?: RedisTls;
  /**
   * The Sentinels' credentials for a `redis+sentinel://` bus or store
   * (`[<SERVICE>_][BUS_|STORE_]REDIS_SENTINEL_USERNAME` / `_PASSWORD`);
   * unset for other URLs or Sentinels without a password.
   */
  busSentinelAuth?: SentinelAuth;
  storeSentinelAuth?: SentinelAuth;
  /**
   * `[<SERVICE>_]BUS_REDIS_WAIT_REPLICAS` (default 0: off) and
   * `_WAIT_TIMEOUT_MS` (default 1 000): every publish on the bus waits until
   * that many replicas hold it (WAIT), so an event a caller was told is
   * accepted survives a Sentinel failover (docs/redis-deployments.md).
   */
  busWaitForReplicas?: { count: number; timeoutMs: number };
  /**
   * Files holding the bus and store Redis passwords (`BUS_REDIS_PASSWORD_FILE`,
   * `STORE_REDIS_PASSWORD_FILE`, each with its `<SERVICE>_` override), read at
   * every (re)connection and winning over the URL's password: a rotated key
   * is picked up without a restart (docs/least-privilege.md, "Rotating").
   * The launcher sets them; a Kubernetes Secret mounted as a volume works the same way.
   */
  busRedisPasswordFile?: string;
  storeRedisPasswordFile?: string;
  databaseUrl: string;
  /** Stable consumer-name prefix across restarts of this instance. */
  instance: string;
  /**
   * How long an entry stays on the service's own streams after every group
   * is done with it (STREAM_RETENTION_MS, default two minutes): the window in
   * which a group created later still finds it, and the operator's live
   * views still show it. Nothing a group has not consumed is ever trimmed.
   */
  streamRetentionMs: number;
  /**
   * How long a handled-event marker is kept at least (HANDLED_MARKER_RETENTION_MS,
   * default seven days, as the Redis services' marker TTLs): far past the
   * stream retention and the longest redelivery, so only a publisher
   * re-sending an event after days could find its marker gone. Markers of
   * entries still pending stay whatever their age. Never below STREAM_RETENTION_MS.
   */
  handledMarkerRetentionMs: number;
  /**
   * How long an HTTP Idempotency-Key kept in a service's database is honoured
   * (IDEMPOTENCY_KEY_RETENTION_MS, default 24 hours, as the gateway's Redis
   * records): a retry after that is a new request.
   */
  idempotencyKeyRetentionMs: number;
}

/** STREAM_RETENTION_MS when unset: see ServiceConfig.streamRetentionMs and docs/operations.md. */
export const DEFAULT_STREAM_RETENTION_MS = 120_000;
/** HANDLED_MARKER_RETENTION_MS when unset: see ServiceConfig.handledMarkerRetentionMs. */
export const DEFAULT_HANDLED_MARKER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * The handled-marker retention as a Redis TTL in whole seconds (rounded up, so
 * a marker never goes before the window): what the Redis services pass to
 * their marker keys, id sets and queues.
 */
export function handledMarkerTtlSeconds(config: Pick<ServiceConfig, 'handledMarkerRetentionMs'>): number {
  return Math.ceil(config.handledMarkerRetentionMs / 1000);
}
/** IDEMPOTENCY_KEY_RETENTION_MS when unset: see ServiceConfig.idempotencyKeyRetentionMs. */
export const DEFAULT_IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

import { accessSync, constants } from 'node:fs';
import { TributaryError } from '../errors.ts';
import { CLUSTER_SCHEME, isClusterUrl, parseClusterUrl, TLS_CLUSTER_SCHEME } from '../redis/cluster.ts';
import { parseSentinelUrl, SENTINEL_SCHEME, sentinelAuthFromEnv, type SentinelAuth } from '../redis/sentinel.ts';
import { checkRedisTls, redisTlsFromEnv, wantsTls, type RedisTls } from '../redis/tls.ts';

const REDIS_SCHEMES = ['redis:', 'rediss:', SENTINEL_SCHEME, CLUSTER_SCHEME, TLS_CLUSTER_SCHEME];
const DATABASE_SCHEMES = ['postgres:', 'postgresql:', 'pglite:', 'memory:'];

/**
 * A connection string the service cannot use is a configuration error named
 * after its variable, found before anything connects: the launcher stops at
 * once instead of restarting a service that can never start.
 */
function checkUrl(variable: string, value: string, schemes: string[]): void {
  if (schemes.includes(SENTINEL_SCHEME) && value.startsWith(`${SENTINEL_SCHEME}//`)) {
    try {
      parseSentinelUrl(value);
    } catch (error) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${variable} ${(error as Error).message}`);
    }
    return;
  }
  if (schemes.includes(CLUSTER_SCHEME) && isClusterUrl(value)) {
    try {
      parseClusterUrl(value);
    } catch (error) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${variable} ${(error as Error).message}`);
    }
    return;
  }
  let scheme: string;
  try {
    scheme = new URL(value).protocol;
  } catch {
    throw new TributaryError('TRIB_INVALID_CONFIG', `${variable} is not a URL`);
  }
  if (!schemes.includes(scheme)) {
    throw new TributaryError('TRIB_INVALID_CONFIG', `${variable} has the scheme ${scheme}//, expected ${schemes.map((known) => `${known}//`).join(' or ')}`);
  }
}

/**
 * `pg` reads `sslrootcert`, `sslcert` and `sslkey` from the URL only when it
 * connects, and a file it cannot read would then fail every connection:
 * checked here with the rest of the configuration.
 */
function checkDatabaseTlsFiles(variable: string, value: string): void {
  let params: URLSearchParams;
  try {
    params = new URL(value).searchParams;
  } catch {
    return;
  }
  for (const name of ['sslrootcert', 'sslcert', 'sslkey']) {
    const path = params.get(name);
    if (!path) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${variable}: ${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
}

export function readServiceConfig(service: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const prefix = service.toUpperCase().replace(/-/g, '_');
  // The variable that was used, for error messages: the per-service override when set.
  const pick = (name: string): [string, string | undefined] => {
    const own = env[`${prefix}_${name}`];
    return own === undefined ? [name, env[name]] : [`${prefix}_${name}`, own];
  };
  const [busVariable, busRedisUrl] = pick('BUS_REDIS_URL');
  if (!busRedisUrl) throw new TributaryError('TRIB_INVALID_CONFIG', `${service}: BUS_REDIS_URL is not set (npm start sets it)`);
  checkUrl(busVariable, busRedisUrl, REDIS_SCHEMES);
  const [storeVariable, storeRedisUrl = busRedisUrl] = pick('STORE_REDIS_URL');
  checkUrl(storeVariable, storeRedisUrl, REDIS_SCHEMES);
  // Only a rediss:// URL reads its TLS files; an unreadable one stops the service here (exit 78), not in a retry loop.
  const tlsFor = (role: 'bus' | 'store', url: string): RedisTls | undefined => {
    if (!wantsTls(url)) return undefined;
    const tls = redisTlsFromEnv(env, role, service);
    checkRedisTls(tls);
    return tls;
  };
  const busRedisTls = tlsFor('bus', busRedisUrl);
  const storeRedisTls = tlsFor('store', storeRedisUrl);
  const sentinelFor = (role: 'bus' | 'store', url: string) => (url.startsWith(`${SENTINEL_SCHEME}//`) ? sentinelAuthFromEnv(env, role, service) : undefined);
  const busSentinelAuth = sentinelFor('bus', busRedisUrl);
  const storeSentinelAuth = sentinelFor('store', storeRedisUrl);
  const [, busRedisPasswordFile] = pick('BUS_REDIS_PASSWORD_FILE');
  // The store defaults to the bus; so does its password file when the store has no URL of its own.
  const [, ownStoreFile] = pick('STORE_REDIS_PASSWORD_FILE');
  const storeIsBus = env[`${prefix}_STORE_REDIS_URL`] === undefined && env.STORE_REDIS_URL === undefined;
  const storeRedisPasswordFile = ownStoreFile ?? (storeIsBus ? busRedisPasswordFile : undefined);
  const own = env[`${prefix}_DATABASE_URL`];
  const shared = env.DATABASE_URL;
  if (own !== undefined) checkUrl(`${prefix}_DATABASE_URL`, own, DATABASE_SCHEMES);
  else if (shared) checkUrl('DATABASE_URL', shared, DATABASE_SCHEMES);
  if (own !== undefined) checkDatabaseTlsFiles(`${prefix}_DATABASE_URL`, own);
  else if (shared) checkDatabaseTlsFiles('DATABASE_URL', shared);
  let databaseUrl = own ?? `pglite://${env.TRIBUTARY_DATA_DIR ?? './.data'}/pg/${service}`;
  if (!own && shared) {
    const url = new URL(shared);
    url.searchParams.set('schema', prefix.toLowerCase());
    databaseUrl = url.toString();
  }
  const [portVariable, rawPort = '0'] = pick('PORT');
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TributaryError('TRIB_INVALID_CONFIG', `${portVariable} must be a port number (0-65535), got "${rawPort}"`);
  const milliseconds = (name: string, fallback: number): [string, number] => {
    const [variable, raw = String(fallback)] = pick(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${variable} must be a whole number of milliseconds (0 or more), got "${raw}"`);
    }
    return [variable, value];
  };
  const [, streamRetentionMs] = milliseconds('STREAM_RETENTION_MS', DEFAULT_STREAM_RETENTION_MS);
  const [markerVariable, handledMarkerRetentionMs] = milliseconds('HANDLED_MARKER_RETENTION_MS', DEFAULT_HANDLED_MARKER_RETENTION_MS);
  // A marker dropped while its entry may still sit on the stream lets a re-read apply the event twice.
  if (handledMarkerRetentionMs <= streamRetentionMs) {
    throw new TributaryError('TRIB_INVALID_CONFIG', `${markerVariable} (${handledMarkerRetentionMs}) must be longer than STREAM_RETENTION_MS (${streamRetentionMs})`);
  }
  const [, idempotencyKeyRetentionMs] = milliseconds('IDEMPOTENCY_KEY_RETENTION_MS', DEFAULT_IDEMPOTENCY_KEY_RETENTION_MS);
  const [, waitReplicas] = milliseconds('BUS_REDIS_WAIT_REPLICAS', 0);
  const [, waitTimeoutMs] = milliseconds('BUS_REDIS_WAIT_TIMEOUT_MS', 1_000);
  return {
    service,
    host: env.HOST ?? '127.0.0.1',
    port,
    busRedisUrl,
    storeRedisUrl,
    ...(busRedisTls ? { busRedisTls } : {}),
    ...(storeRedisTls ? { storeRedisTls } : {}),
    ...(busSentinelAuth ? { busSentinelAuth } : {}),
    ...(storeSentinelAuth ? { storeSentinelAuth } : {}),
    ...(waitReplicas > 0 ? { busWaitForReplicas: { count: waitReplicas, timeoutMs: waitTimeoutMs } } : {}),
    ...(busRedisPasswordFile ? { busRedisPasswordFile } : {}),
    ...(storeRedisPasswordFile ? { storeRedisPasswordFile } : {}),
    databaseUrl,
    instance: env.TRIBUTARY_INSTANCE ?? `${service}-${process.pid}`,
    streamRetentionMs,
    handledMarkerRetentionMs,
    idempotencyKeyRetentionMs,
  };
}

/**
 * The connect options a role's Redis needs beyond its URL: TLS files for a
 * rediss:// URL, the Sentinels' credentials for a redis+sentinel:// one, and
 * on the bus the replica acknowledgement its publishers wait for.
 */
export function redisOptionsOf(
  config: ServiceConfig,
  role: 'bus' | 'store',
): { tls?: RedisTls; sentinelAuth?: SentinelAuth; waitForReplicas?: { count: number; timeoutMs: number }; passwordFile?: string } {
  const tls = role === 'bus' ? config.busRedisTls : config.storeRedisTls;
  const sentinelAuth = role === 'bus' ? config.busSentinelAuth : config.storeSentinelAuth;
  const waitForReplicas = role === 'bus' ? config.busWaitForReplicas : undefined;
  // The password file (key rotation, docs/least-privilege.md) is read at every connection.
  const passwordFile = role === 'bus' ? config.busRedisPasswordFile : config.storeRedisPasswordFile;
  return { ...(tls ? { tls } : {}), ...(sentinelAuth ? { sentinelAuth } : {}), ...(waitForReplicas ? { waitForReplicas } : {}), ...(passwordFile ? { passwordFile } : {}) };
}
