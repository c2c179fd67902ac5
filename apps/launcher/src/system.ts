import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readServiceConfig } from 'tributary/service';
import { freePort, waitFor } from 'tributary/testing';
import { buildServices } from './build.ts';
import { serviceNodeOptions } from './node-options.ts';
import { startPrivateRedis, type PrivateRedis, type RedisRole } from './redis.ts';
import { adminAuth, INTERNAL_KEY_FILE, readOrCreateKey, type AdminAuth } from './secrets.ts';
import { SERVICES, portVariable, urlVariable, type ServiceName } from './services.ts';
import { Supervised } from './supervisor.ts';

export interface SystemOptions {
  /** Repository root: where `services/` is. */
  rootDir: string;
  /** Redis AOF files, PGlite directories and logs go here. */
  dataDir: string;
  gatewayPort: number;
  /** Use these instead of starting private Redis servers. */
  busRedisUrl?: string;
  storeRedisUrl?: string;
  /** A PostgreSQL server shared by the SQL services (one schema each); PGlite per service otherwise. */
  databaseUrl?: string;
  /** Extra environment for every service (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  onEvent?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * Run every service under `node --cpu-prof`, writing `<dir>/<service>/*.cpuprofile`
   * when it exits (a clean stop: SIGTERM). Default: $TRIBUTARY_CPU_PROF_DIR; off when unset.
   */
  cpuProfileDir?: string;
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly urls: Record<ServiceName, string>;
  readonly busRedisUrl: string;
  readonly storeRedisUrl: string;
  /** How the gateway is guarded; `adminKey` is its key, null in open mode (TRIBUTARY_AUTH=open). */
  readonly auth: AdminAuth;
  readonly adminKey: string | null;
  /** What every service asks of its callers as `x-internal-key` (all but /healthz, /readyz, /metrics). */
  readonly internalKey: string;
  process(name: ServiceName): Supervised;
  /** The private Redis server of this role, when the launcher started one (no URL was given). */
  redis(role: RedisRole): PrivateRedis | undefined;
  /** Waits until the service answers /healthz. */
  waitReady(name: ServiceName, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Node's flags that profile a service's whole life, in a directory named after it. */
function cpuProfileFlags(dir: string | undefined): (service: ServiceName) => string[] {
  if (!dir) return () => [];
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  // One directory per service: node names the file itself (time, pid), and a restarted process adds its own.
  return (service) => ['--cpu-prof', `--cpu-prof-dir=${join(absolute, service)}`];
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts the whole reference system: private bus and store Redis servers (AOF
 * on, data under `dataDir`) unless URLs are given, then every service as its
 * own supervised process. Used by `npm start` and by the system tests.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const logDir = join(options.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Secure by default: an admin key unless open mode is asked for by name, and a key between services.
  const auth = adminAuth(options.dataDir, { ...process.env, ...options.env });
  if (auth.mode === 'open') options.onEvent?.('WARNING: open mode (TRIBUTARY_AUTH=open): the gateway has no admin key, every route is open to anyone');
  const internalKey = readOrCreateKey(join(options.dataDir, INTERNAL_KEY_FILE)).key;
  const ownedRedis: PrivateRedis[] = [];
  async function privateRedis(role: RedisRole): Promise<string> {
    const redis = await startPrivateRedis({ role, dataDir: options.dataDir, logDir, cwd: options.rootDir, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    ownedRedis.push(redis);
    options.onEvent?.(`${role} redis ready on ${redis.url} (data in ${join(options.dataDir, 'redis', role)}, supervised)`);
    return redis.url;
  }
  // Inside the repository, so the bundles find node_modules as the sources do;
  // one directory per running system, so concurrent systems (tests) never share files.
  const buildDir = join(options.rootDir, 'node_modules', '.cache', 'tributary-services', randomUUID());
  const removeBuild = () => rmSync(buildDir, { recursive: true, force: true });
  const built = await buildServices(options.rootDir, buildDir).catch((error: unknown) => {
    removeBuild();
    throw error;
  });
  const busRedisUrl = options.busRedisUrl ?? (await privateRedis('bus'));
  const storeRedisUrl = options.storeRedisUrl ?? (await privateRedis('store'));

  const ports = {} as Record<ServiceName, number>;
  for (const name of SERVICES) ports[name] = name === 'gateway' ? options.gatewayPort : await freePort();
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<ServiceName, string>;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    BUS_REDIS_URL: busRedisUrl,
    STORE_REDIS_URL: storeRedisUrl,
    TRIBUTARY_DATA_DIR: options.dataDir,
    HOST: '127.0.0.1',
    INTERNAL_API_KEY: internalKey,
    ...Object.fromEntries(SERVICES.map((name) => [portVariable(name), String(ports[name])])),
    ...Object.fromEntries(SERVICES.map((name) => [urlVariable(name), urls[name]])),
  };
  delete env.PORT;
  // Only the gateway holds the admin key; every other service sees neither setting.
  delete env.ADMIN_API_KEY;
  delete env.TRIBUTARY_AUTH;
  const gatewayEnv: NodeJS.ProcessEnv = auth.mode === 'open' ? { TRIBUTARY_AUTH: 'open' } : { ADMIN_API_KEY: auth.key };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;

  // Every service's connection settings are checked here, before any starts:
  // one line naming the setting, instead of services that exit and restart.
  try {
    for (const name of SERVICES) readServiceConfig(name, name === 'gateway' ? { ...env, ...gatewayEnv } : env);
  } catch (error) {
    await Promise.all(ownedRedis.map((redis) => redis.process.stop()));
    removeBuild();
    throw error;
  }

  // A service that exits with a configuration error is not restarted; start-up fails with its reason.
  let gaveUp: (reason: string) => void = () => undefined;
  const givenUp = new Promise<never>((_resolve, reject) => {
    gaveUp = (reason) => reject(new Error(reason));
  });
  givenUp.catch(() => undefined);

  const profileFlags = cpuProfileFlags(options.cpuProfileDir ?? process.env.TRIBUTARY_CPU_PROF_DIR);
  const processes = new Map<ServiceName, Supervised>();
  for (const name of SERVICES) {
    const supervised = new Supervised({
      name,
      command: process.execPath,
      args: [...profileFlags(name), ...serviceNodeOptions(name, built), built.entries[name]],
      cwd: options.rootDir,
      // A stable instance name: a restarted process finishes its own pending entries first.
      env: { ...env, ...(name === 'gateway' ? gatewayEnv : {}), TRIBUTARY_INSTANCE: `${name}-0` },
      logFile: join(logDir, `${name}.log`),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      onGiveUp: gaveUp,
    });
    supervised.start();
    processes.set(name, supervised);
  }

  const system: RunningSystem = {
    gatewayUrl: urls.gateway,
    urls,
    busRedisUrl,
    storeRedisUrl,
    auth,
    adminKey: auth.mode === 'key' ? auth.key : null,
    internalKey,
    process: (name) => processes.get(name) as Supervised,
    redis: (role) => ownedRedis.find((redis) => redis.role === role),
    async waitReady(name, timeoutMs = options.readyTimeoutMs ?? 60_000) {
      await waitFor(() => healthy(urls[name]), { timeoutMs, intervalMs: 100, description: `${name} /healthz (log: ${join(logDir, `${name}.log`)})` });
    },
    async stop() {
      // Gateway first so no new work comes in, then the rest together.
      await processes.get('gateway')?.stop();
      await Promise.all([...processes.values()].map((supervised) => supervised.stop()));
      // Last: services flush to them while they stop. SIGTERM makes Redis fsync and exit cleanly.
      await Promise.all(ownedRedis.map((redis) => redis.process.stop()));
      removeBuild();
    },
  };
  try {
    const ready = Promise.all(
      SERVICES.map(async (name) => {
        await system.waitReady(name);
        options.onEvent?.(`${name} ready on ${urls[name]}`);
      }),
    );
    ready.catch(() => undefined);
    await Promise.race([givenUp, ready]);
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}
