import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkRedisTls, redactUrl, redisTlsFromEnv, SENTINEL_SCHEME, TributaryError, wantsTls, type RedisTls } from 'tributary';
import { readServiceConfig } from 'tributary/service';
import { freePort, generateTlsCertificates, waitFor, type TlsCertificates } from 'tributary/testing';
import { ADMIN_USER, aclFile, redisUsers } from './acl.ts';
import { buildServices } from './build.ts';
import { loadCredentials, passwordFile, sameServer, withoutUser, withUser, writePasswordFile, type Credentials } from './credentials.ts';
import { provisionDatabaseRoles, serviceDatabaseUrl, SQL_SERVICES } from './database-roles.ts';
import { serviceMallocEnv, serviceNodeOptions } from './node-options.ts';
import { startPrivateRedis, type PrivateRedis, type RedisRole } from './redis.ts';
import { aclDenials, provisionExternalRedis, upgradeDeadLetters } from './redis-users.ts';
import { adminAuth, INTERNAL_KEY_FILE, readOrCreateKey, type AdminAuth } from './secrets.ts';
import { instanceName, singleReason, singleScale, type Scale } from './scale.ts';
import { PRIVATE_TLS_DIR, SERVICES, portVariable, urlVariable, urlsVariable, type ServiceName } from './services.ts';
import { regionalServices, regionalEnv, regionalInstanceName, type RegionalService } from './regions.ts';
import { HostedService, ServiceHost } from './hosted.ts';
import { Supervised, type Supervision } from './supervisor.ts';

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
  /** Processes per service (default one each); see scale.ts for which must stay single and why. */
  scale?: Partial<Scale>;
  /**
   * Which services run as threads of one service host process
   * (TRIBUTARY_SERVICE_THREADS): `all` (default) every one but the gateway,
   * `on` those but the PGlite services, `off` none. None under a CPU
   * profile. docs/architecture.md, "How the processes run".
   */
  threads?: 'on' | 'all' | 'off';
  /**
   * Two or more region names (`npm start -- --regions 2`: a, b): each region
   * gets a region Redis, its own gateway and its own Active/Active services
   * (regions.ts); the first region's are the system's usual ones. Default:
   * none, one region as always, and nothing more starts.
   */
  regions?: readonly string[];
  /** The gateway port of each region after the first (default gatewayPort + 1, + 2, ...). */
  regionGatewayPorts?: readonly number[];
}

/** One region of a system started with `regions` (Figure 4-1). */
export interface RunningRegion {
  readonly name: string;
  readonly gatewayUrl: string;
  /** Its own instances: the gateway and the Active/Active services (the catalog only with a database URL). */
  readonly urls: Readonly<Partial<Record<RegionalService, string>> & { gateway: string }>;
  /** Its region Redis (AOF, the store's ACL users): the Active/Active data of its services. */
  readonly redis: PrivateRedis;
  /** The launcher's own user on it (for the CLI, operators and tests). */
  readonly redisUrl: string;
  /** The region whose Redis its services write while its own is down (failOver), or null. */
  readonly failedOverTo: string | null;
  /** The supervised first instance of one of its services. */
  process(service: RegionalService | 'gateway'): Supervision;
  /**
   * Figure 4-2: its Redis is killed (SIGKILL) and kept down, and its services
   * are restarted on region `to`'s Redis as writers of that region; its
   * gateway goes on serving, on the same port.
   */
  failOver(to: string): Promise<void>;
  /** Its Redis back (from its AOF), its services back on it: replication catches up both ways. */
  restore(): Promise<void>;
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  /** Each service's first instance (`<name>-0`). */
  readonly urls: Record<ServiceName, string>;
  /** Every instance of each service, in instance order (`<name>-0`, `<name>-1`, ...). */
  readonly instanceUrls: Record<ServiceName, string[]>;
  readonly scale: Scale;
  /** The given URL, or the launcher's own user on its private server (for the CLI and operators). */
  readonly busRedisUrl: string;
  readonly storeRedisUrl: string;
  /** Whether each service logs in as its own ACL user on this server (docs/least-privilege.md). */
  readonly redisUsers: Record<RedisRole, boolean>;
  /** Whether each SQL service connects as its own PostgreSQL role (with a database URL). */
  readonly databaseRoles: boolean;
  /** How the gateway is guarded; `adminKey` is its key, null in open mode (TRIBUTARY_AUTH=open). */
  readonly auth: AdminAuth;
  readonly adminKey: string | null;
  /** What every service asks of its callers as `x-internal-key` (all but /healthz, /readyz, /metrics). */
  readonly internalKey: string;
  /** The supervised process, or service-host thread, of a service's instance (default its first). */
  process(name: ServiceName, index?: number): Supervision;
  instances(name: ServiceName): Supervision[];
  /** The service host process, when some services run as its threads: SIGKILL to it ends them all at once. */
  serviceHost(): Supervised | undefined;
  /** The services whose instances run as threads of the service host. */
  readonly threaded: readonly ServiceName[];
  /** The private Redis server of this role, when the launcher started one (no URL was given). */
  redis(role: RedisRole): PrivateRedis | undefined;
  /** The regions, in order (empty without `regions`): the first runs the system's usual instances. */
  readonly regions: readonly RunningRegion[];
  region(name: string): RunningRegion;
  /** Waits until every instance of the service (or the one given) answers /healthz. */
  waitReady(name: ServiceName, timeoutMs?: number, index?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Node's flags that profile a service's whole life, in a directory named after it. */
/**
 * TRIBUTARY_CPU_PROF_SERVICES: which services run under `--cpu-prof` when a
 * profile directory is set (a comma list; all when unset). Node writes one
 * profile per process, so each of them runs as a process; the rest keep
 * their threads, and the machine stays as loaded as it is unprofiled.
 */
export function profiledServices(dir: string | undefined, list: string | undefined): Set<ServiceName> {
  if (!dir) return new Set();
  if (list === undefined || list.trim() === '') return new Set(SERVICES);
  const names = list.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`TRIBUTARY_CPU_PROF_SERVICES names no service "${unknown.join('", "')}" (services: ${SERVICES.join(', ')})`);
  return new Set(names as ServiceName[]);
}

function cpuProfileFlags(dir: string | undefined, profiled: Set<ServiceName>): (service: ServiceName) => string[] {
  if (!dir) return () => [];
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  // One directory per service: node names the file itself (time, pid), and a restarted process adds its own.
  return (service) => (profiled.has(service) ? ['--cpu-prof', `--cpu-prof-dir=${join(absolute, service)}`] : []);
}

/**
 * The bundles' source maps, kept beside a profiled run's profiles as
 * `<dir>/source-maps/<build id>/`: the launcher removes its build when it
 * stops, and without the maps a profile's frames name only a bundle or a
 * shared chunk (bench/src/profiles.ts maps them back to their sources).
 */
function keepSourceMaps(buildDir: string, cpuProfileDir: string): void {
  cpSync(buildDir, join(resolve(cpuProfileDir), 'source-maps', basename(buildDir)), {
    recursive: true,
    filter: (source) => source.endsWith('.map') || statSync(source).isDirectory(),
  });
}

/** A process (or thread) of a region: what failOver and restore restart with another environment. */
interface RegionUnit {
  service: ServiceName;
  instance: string;
  url: string;
  /** The very object it is started with: changed in place before a restart. */
  env: NodeJS.ProcessEnv;
  logFile: string;
  supervision: Supervision;
}

/** How long a service may take to answer /healthz before waitReady ends it and its supervisor starts it again. */
const STALLED_START_MS = 75_000;

/** The last lines of a log file (at most 4 KB of it), or why there are none. */
function logTail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length === 0 ? '(empty)' : text.slice(-4_096);
  } catch (error) {
    return `(unreadable: ${(error as Error).message})`;
  }
}

/** TRIBUTARY_SERVICE_THREADS: all (the default), on or off. */
function threadsSetting(value: string | undefined): 'on' | 'all' | 'off' {
  if (value === undefined || value === '' || value === 'all') return 'all';
  if (value === 'on' || value === 'off') return value;
  throw new Error(`TRIBUTARY_SERVICE_THREADS must be on, all or off, got "${value}"`);
}

/** TRIBUTARY_REDIS_TLS: on makes the launcher's own Redis servers TLS-only; off (the default) leaves them plain on loopback. */
function privateTlsSetting(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'off') return false;
  if (value === 'on') return true;
  throw new TributaryError('TRIB_INVALID_CONFIG', `TRIBUTARY_REDIS_TLS must be on or off, got "${value}"`);
}

/** Up, and the instance asked for: while one restarts, another process may have been given its port for a moment. */
async function healthy(url: string, name: ServiceName, instance: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { service?: unknown; instance?: unknown };
    return response.ok && body.service === name && body.instance === instance;
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
  const say = (line: string) => options.onEvent?.(line);
  const scale: Scale = { ...singleScale(), ...options.scale };
  for (const name of SERVICES) {
    const count = scale[name];
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`scale: ${name} must have at least one instance, got ${count}`);
    const reason = singleReason(name, { database: Boolean(options.databaseUrl) });
    if (count > 1 && reason) throw new Error(`scale: ${name} must run as one instance: ${reason}`);
  }
  const setting = (name: string) => options.env?.[name] ?? process.env[name];
  // Settings that can be wrong are read before anything starts.
  const cpuProfileDir = options.cpuProfileDir ?? process.env.TRIBUTARY_CPU_PROF_DIR;
  const profiled = profiledServices(cpuProfileDir, setting('TRIBUTARY_CPU_PROF_SERVICES'));
  const threads = options.threads ?? threadsSetting(setting('TRIBUTARY_SERVICE_THREADS'));
  // The launcher's own connections to a rediss:// server (ACL users, ACL LOG) use the same TLS settings as the services.
  const launcherTls: Record<RedisRole, RedisTls | undefined> = {
    bus: redisTlsFromEnv({ ...process.env, ...options.env }, 'bus'),
    store: redisTlsFromEnv({ ...process.env, ...options.env }, 'store'),
  };
  for (const role of ['bus', 'store'] as const) {
    const given = role === 'bus' ? options.busRedisUrl : options.storeRedisUrl;
    if (given && wantsTls(given)) checkRedisTls(launcherTls[role]);
  }
  const privateTls = privateTlsSetting(setting('TRIBUTARY_REDIS_TLS'));
  // The TLS settings the services get for a private TLS server: per role, so a given (external) server of the other role keeps its own.
  const privateTlsEnv: Record<string, string> = {};
  let certificates: TlsCertificates | undefined;
  // Escape hatches (docs/least-privilege.md): everything as one Redis user / one PostgreSQL user, as before.
  const aclWanted = setting('TRIBUTARY_REDIS_ACL') !== 'off';
  const rolesWanted = Boolean(options.databaseUrl) && setting('TRIBUTARY_DATABASE_ROLES') !== 'off';
  const credentials: Credentials | null =
    aclWanted || rolesWanted ? loadCredentials(options.dataDir, { redis: { bus: redisUsers('bus'), store: redisUsers('store') }, postgres: rolesWanted ? SQL_SERVICES : [] }) : null;
  const usersOn: Record<RedisRole, boolean> = { bus: false, store: false };
  // Secure by default: an admin key unless open mode is asked for by name, and a key between services.
  const auth = adminAuth(options.dataDir, { ...process.env, ...options.env });
  if (auth.mode === 'open') options.onEvent?.('WARNING: open mode (TRIBUTARY_AUTH=open): the gateway has no admin key, every route is open to anyone');
  const internalKey = readOrCreateKey(join(options.dataDir, INTERNAL_KEY_FILE)).key;
  const ownedRedis: PrivateRedis[] = [];
  async function privateRedis(role: RedisRole): Promise<string> {
    const passwords = credentials?.redis[role];
    if (privateTls) {
      // Made once per data directory and kept: a restarted system, and the CLI, use the same CA.
      certificates ??= await generateTlsCertificates(join(options.dataDir, PRIVATE_TLS_DIR));
      const client = { caFile: certificates.caFile, certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile };
      launcherTls[role] = client;
      const prefix = `${role.toUpperCase()}_REDIS_TLS_`;
      Object.assign(privateTlsEnv, { [`${prefix}CA_FILE`]: client.caFile, [`${prefix}CERT_FILE`]: client.certFile, [`${prefix}KEY_FILE`]: client.keyFile });
    }
    const redis = await startPrivateRedis({
      role,
      dataDir: options.dataDir,
      logDir,
      cwd: options.rootDir,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(aclWanted && passwords ? { acl: { file: aclFile(role, passwords), user: ADMIN_USER, password: passwords.admin } } : {}),
      ...(certificates
        ? { tls: { caFile: certificates.caFile, certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile, clientCertFile: certificates.clientCertFile, clientKeyFile: certificates.clientKeyFile } }
        : {}),
    });
    ownedRedis.push(redis);
    usersOn[role] = aclWanted;
    say(`${role} redis ready on ${redis.url} (data in ${join(options.dataDir, 'redis', role)}, supervised, ${aclWanted ? 'one ACL user per service, default user off' : 'TRIBUTARY_REDIS_ACL=off: open default user'}${certificates ? `, TLS only with client certificates from ${certificates.dir}` : ''})`);
    return aclWanted && passwords ? withUser(redis.url, ADMIN_USER, passwords.admin) : redis.url;
  }
  async function externalRedis(role: RedisRole, url: string): Promise<string> {
    const passwords = credentials?.redis[role];
    // ACL SETUSER is not replicated: users made on today's primary would be missing on the replica Sentinel promotes.
    if (url.startsWith(`${SENTINEL_SCHEME}//`)) say(`${role} Redis ${redactUrl(url)}: through Sentinel, every service uses the given URL (per-service ACL users would not survive a failover)`);
    else if (aclWanted && passwords) usersOn[role] = await provisionExternalRedis(role, url, passwords.services, say, launcherTls[role], passwords.rotating);
    else say(`${role} Redis: TRIBUTARY_REDIS_ACL=off, every service uses the given URL`);
    return url;
  }
  // Inside the repository, so the bundles find node_modules as the sources do;
  // one directory per running system, so concurrent systems (tests) never share files.
  const buildDir = join(options.rootDir, 'node_modules', '.cache', 'tributary-services', randomUUID());
  const removeBuild = () => rmSync(buildDir, { recursive: true, force: true });
  const built = await buildServices(options.rootDir, buildDir).catch((error: unknown) => {
    removeBuild();
    throw error;
  });
  const stopOwnedRedis = () => Promise.all(ownedRedis.map((redis) => redis.process.stop()));
  const regionNames = options.regions && options.regions.length > 1 ? [...options.regions] : [];
  if (new Set(regionNames).size !== regionNames.length) throw new Error(`regions: a region is named twice (${regionNames.join(', ')})`);
  const regionRedis = new Map<string, PrivateRedis>();
  /**
   * A region's Redis: private and supervised like the store, with the store's
   * ACL users (a service reaches its own prefix there), whatever bus and store
   * were given: the regions are what this launcher runs on one machine.
   */
  async function startRegionRedis(region: string): Promise<PrivateRedis> {
    const passwords = credentials?.redis.store;
    const name = `region-${region}`;
    const redis = await startPrivateRedis({
      role: 'store',
      name,
      dataDir: options.dataDir,
      logDir,
      cwd: options.rootDir,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(aclWanted && passwords ? { acl: { file: aclFile('store', passwords), user: ADMIN_USER, password: passwords.admin } } : {}),
    });
    ownedRedis.push(redis);
    say(`region ${region}: redis ready on ${redis.url} (data in ${join(options.dataDir, 'redis', name)}, supervised)`);
    return redis;
  }
  /** A service's URL of a region's Redis: as its own store user there (ACL on), or as is. */
  const regionUrlFor = (service: ServiceName, region: string): string => {
    const url = (regionRedis.get(region) as PrivateRedis).url;
    const password = credentials?.redis.store.services[service];
    return aclWanted && password ? withUser(url, service, password) : url;
  };
  const regionalSettings = (service: RegionalService, region: string, failedOverTo?: string) =>
    regionalEnv(service, region, new Map(regionNames.map((name) => [name, regionUrlFor(service, name)])), failedOverTo);
  const regional = regionNames.length > 0 ? regionalServices({ database: Boolean(options.databaseUrl) }) : [];
  const isRegional = (name: ServiceName): name is RegionalService => (regional as readonly ServiceName[]).includes(name);
  let busRedisUrl: string;
  let storeRedisUrl: string;
  let databaseRoles = false;
  let storeIsBus = false;
  try {
    busRedisUrl = options.busRedisUrl ? await externalRedis('bus', options.busRedisUrl) : await privateRedis('bus');
    if (options.storeRedisUrl && sameServer(options.storeRedisUrl, busRedisUrl)) {
      // One server for both: a second ACL SETUSER would replace each bus user. The bus users cover `<service>:*` there already.
      storeRedisUrl = options.storeRedisUrl;
      usersOn.store = usersOn.bus;
      storeIsBus = true;
    } else {
      storeRedisUrl = options.storeRedisUrl ? await externalRedis('store', options.storeRedisUrl) : await privateRedis('store');
    }
    if (options.databaseUrl && credentials && rolesWanted) databaseRoles = await provisionDatabaseRoles(options.databaseUrl, credentials.postgres, say);
    await upgradeDeadLetters(busRedisUrl, say, launcherTls.bus);
    for (const region of regionNames) regionRedis.set(region, await startRegionRedis(region));
  } catch (error) {
    await stopOwnedRedis();
    removeBuild();
    throw error;
  }
  // The servers' own addresses without the launcher's password: a service that has no user of its own there cannot log in.
  const anonymous = (url: string, role: RedisRole) => (usersOn[role] ? withoutUser(url) : url);
  // Each service's own user: `<SERVICE>_BUS_REDIS_URL` and friends win over the shared variables (readServiceConfig).
  // Given to that service alone: no process or thread holds another service's passwords.
  const ownConnections = Object.fromEntries(SERVICES.map((name) => [name, {}])) as Record<ServiceName, Record<string, string>>;
  for (const name of SERVICES) {
    const prefix = name.toUpperCase().replace(/-/g, '_');
    for (const role of ['bus', 'store'] as const) {
      const userRole = role === 'store' && storeIsBus ? 'bus' : role;
      const password = credentials?.redis[userRole].services[name];
      if (usersOn[role] && password && redisUsers(userRole).includes(name)) {
        // The user in the URL, the password in a file read at every (re)connection: `tributary keys rotate` rewrites the file.
        if (userRole === role) writePasswordFile(options.dataDir, name, role, password);
        const url = withUser(anonymous(role === 'bus' ? busRedisUrl : storeRedisUrl, role), name, '');
        ownConnections[name][`${prefix}_${role.toUpperCase()}_REDIS_URL`] = url;
        ownConnections[name][`${prefix}_${role.toUpperCase()}_REDIS_PASSWORD_FILE`] = passwordFile(options.dataDir, name, userRole);
      }
    }
    const password = credentials?.postgres[name];
    if (databaseRoles && options.databaseUrl && password && SQL_SERVICES.includes(name)) {
      ownConnections[name][`${prefix}_DATABASE_URL`] = serviceDatabaseUrl(options.databaseUrl, name, password);
    }
  }

  const ports = {} as Record<ServiceName, number[]>;
  for (const name of SERVICES) {
    ports[name] = [];
    for (let index = 0; index < scale[name]; index++) ports[name].push(name === 'gateway' ? options.gatewayPort : await freePort());
  }
  const instanceUrls = Object.fromEntries(SERVICES.map((name) => [name, ports[name].map((port) => `http://127.0.0.1:${port}`)])) as Record<ServiceName, string[]>;
  const urls = Object.fromEntries(SERVICES.map((name) => [name, instanceUrls[name][0] as string])) as Record<ServiceName, string>;

  const env: NodeJS.ProcessEnv = {
    ...serviceMallocEnv({ ...process.env, ...options.env }),
    ...process.env,
    ...options.env,
    ...privateTlsEnv,
    BUS_REDIS_URL: anonymous(busRedisUrl, 'bus'),
    STORE_REDIS_URL: anonymous(storeRedisUrl, 'store'),
    TRIBUTARY_DATA_DIR: options.dataDir,
    HOST: '127.0.0.1',
    INTERNAL_API_KEY: internalKey,
    // `<NAME>_URL` is the first instance, for callers that know one address; `<NAME>_URLS` all of them (the gateway spreads over it).
    ...Object.fromEntries(SERVICES.map((name) => [urlVariable(name), urls[name]])),
    ...Object.fromEntries(SERVICES.map((name) => [urlsVariable(name), instanceUrls[name].join(',')])),
  };
  delete env.PORT;
  // Only the gateway holds the admin key; every other service sees neither setting.
  delete env.ADMIN_API_KEY;
  delete env.TRIBUTARY_AUTH;
  const gatewayEnv: NodeJS.ProcessEnv = auth.mode === 'open' ? { TRIBUTARY_AUTH: 'open' } : { ADMIN_API_KEY: auth.key };
  // With roles, the admin URL reaches no service: each SQL service has its own.
  if (options.databaseUrl && !databaseRoles) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;

  const firstRegion = regionNames[0];
  // Every service's connection settings are checked here, before any starts:
  // one line naming the setting, instead of services that exit and restart.
  try {
    for (const name of SERVICES) readServiceConfig(name, { ...env, ...ownConnections[name], ...(name === 'gateway' ? gatewayEnv : {}), ...(firstRegion && isRegional(name) ? regionalSettings(name, firstRegion) : {}) });
  } catch (error) {
    await stopOwnedRedis();
    removeBuild();
    throw error;
  }

  // A service that exits with a configuration error is not restarted; start-up fails with its reason.
  let gaveUp: (reason: string) => void = () => undefined;
  const givenUp = new Promise<never>((_resolve, reject) => {
    gaveUp = (reason) => reject(new Error(reason));
  });
  givenUp.catch(() => undefined);

  // PGlite's start-up in a thread was seen to stall past the 60 s ready timeout on a loaded machine (3 of some 10 loaded
  // starts, never in a process): until that is understood, a service with an in-process database stays a process unless asked.
  const inProcessDatabase = (name: ServiceName) => SQL_SERVICES.includes(name) && !options.databaseUrl;
  const profileFlags = cpuProfileFlags(cpuProfileDir, profiled);
  // A profile is written per process: a profiled service is a process of its own.
  const threaded = (name: ServiceName) => name !== 'gateway' && !profiled.has(name) && (threads === 'all' || (threads === 'on' && !inProcessDatabase(name)));
  const host = SERVICES.some(threaded)
    ? new ServiceHost({
        command: process.execPath,
        args: [...serviceNodeOptions(built), built.serviceHost],
        cwd: options.rootDir,
        env: { ...env },
        logFile: join(logDir, 'service-host.log'),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      })
    : null;
  host?.start();
  const processes = new Map<ServiceName, Supervision[]>();
  /** Per region: its gateway and Active/Active instances, each with the environment it is (re)started with. */
  const regionUnits = new Map<string, RegionUnit[]>(regionNames.map((region) => [region, []]));
  const logFile = (name: ServiceName, index: number) => join(logDir, index === 0 ? `${name}.log` : `${instanceName(name, index)}.log`);
  for (const name of SERVICES) {
    const instances: Supervision[] = [];
    for (let index = 0; index < scale[name]; index++) {
      const policy = {
        name: scale[name] === 1 ? name : instanceName(name, index),
        logFile: logFile(name, index),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        onGiveUp: gaveUp,
      };
      // A stable instance name (the consumer name): a restarted process finishes its own pending entries first.
      const serviceEnv: NodeJS.ProcessEnv = {
        ...env,
        ...ownConnections[name],
        ...(name === 'gateway' ? gatewayEnv : {}),
        [portVariable(name)]: String(ports[name][index]),
        TRIBUTARY_INSTANCE: instanceName(name, index),
        ...(firstRegion && isRegional(name) ? regionalSettings(name, firstRegion) : {}),
      };
      const supervised =
        host && threaded(name)
          ? new HostedService(host, policy, { threadEntry: built.serviceThread, entry: built.entries[name], stackTraces: built.stackTraces, env: serviceEnv })
          : new Supervised({
              ...policy,
              command: process.execPath,
              args: [...profileFlags(name), ...serviceNodeOptions(built, name), built.entries[name]],
              cwd: options.rootDir,
              env: serviceEnv,
              // Its closing tells the service the launcher is gone (runService).
              ipc: true,
            });
      supervised.start();
      instances.push(supervised);
      if (firstRegion && (isRegional(name) || (name === 'gateway' && index === 0))) {
        regionUnits.get(firstRegion)?.push({ service: name, instance: instanceName(name, index), url: instanceUrls[name][index] as string, env: serviceEnv, logFile: logFile(name, index), supervision: supervised });
      }
    }
    processes.set(name, instances);
  }
  // The other regions: their own gateway and Active/Active services, on the central bus and databases.
  const supervise = (name: ServiceName, instance: string, file: string, serviceEnv: NodeJS.ProcessEnv): Supervision => {
    const policy = { name: instance, logFile: file, ...(options.onEvent ? { onEvent: options.onEvent } : {}), onGiveUp: gaveUp };
    return host && threaded(name)
      ? new HostedService(host, policy, { threadEntry: built.serviceThread, entry: built.entries[name], stackTraces: built.stackTraces, env: serviceEnv })
      : new Supervised({ ...policy, command: process.execPath, args: [...profileFlags(name), ...serviceNodeOptions(built, name), built.entries[name]], cwd: options.rootDir, env: serviceEnv, ipc: true });
  };
  for (const [position, region] of regionNames.entries()) {
    if (position === 0) continue;
    const units = regionUnits.get(region) as RegionUnit[];
    const regionalUrls = new Map<RegionalService, string>();
    for (const name of regional) {
      const port = await freePort();
      const instance = regionalInstanceName(name, region);
      const serviceEnv: NodeJS.ProcessEnv = { ...env, ...ownConnections[name], [portVariable(name)]: String(port), TRIBUTARY_INSTANCE: instance, ...regionalSettings(name, region) };
      regionalUrls.set(name, `http://127.0.0.1:${port}`);
      units.push({ service: name, instance, url: `http://127.0.0.1:${port}`, env: serviceEnv, logFile: join(logDir, `${instance}.log`), supervision: supervise(name, instance, join(logDir, `${instance}.log`), serviceEnv) });
    }
    const gatewayPort = options.regionGatewayPorts?.[position - 1] ?? options.gatewayPort + position;
    const instance = `gateway-${region}`;
    // Its region's Active/Active services; every other service is the central one.
    const gatewayServiceEnv: NodeJS.ProcessEnv = {
      ...env,
      ...ownConnections.gateway,
      ...gatewayEnv,
      [portVariable('gateway')]: String(gatewayPort),
      TRIBUTARY_INSTANCE: instance,
      ...Object.fromEntries([...regionalUrls].flatMap(([name, url]) => [[urlVariable(name), url], [urlsVariable(name), url]])),
    };
    units.push({ service: 'gateway', instance, url: `http://127.0.0.1:${gatewayPort}`, env: gatewayServiceEnv, logFile: join(logDir, `${instance}.log`), supervision: supervise('gateway', instance, join(logDir, `${instance}.log`), gatewayServiceEnv) });
    for (const unit of units) unit.supervision.start();
  }
  const all = () => [...processes.values()].flat().concat(regionNames.slice(1).flatMap((region) => (regionUnits.get(region) ?? []).map((unit) => unit.supervision)));

  // Said once at stop, and kept in the log directory: what a service was refused is a missing line in acl.ts or a bug.
  const reportDenials = async () => {
    for (const [role, url] of [['bus', busRedisUrl], ['store', storeRedisUrl]] as const) {
      if (!usersOn[role] || (role === 'store' && storeIsBus)) continue;
      const denials = await aclDenials(url, launcherTls[role]).catch(() => []);
      if (denials.length === 0) continue;
      say(`${role} Redis refused (ACL LOG): ${denials.join('; ')}`);
      appendFileSync(join(logDir, 'acl-denials.log'), denials.map((line) => `${new Date().toISOString()} ${role} ${line}\n`).join(''));
    }
  };
  async function waitInstance(name: ServiceName, url: string, instance: string, file: string, supervision: Supervision | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const attemptMs = Math.min(STALLED_START_MS, deadline - Date.now());
      try {
        await waitFor(() => healthy(url, name, instance), { timeoutMs: attemptMs, intervalMs: 100, description: `${instance} /healthz (log: ${file})` });
        return;
      } catch (error) {
        if (deadline - Date.now() < 5_000 || !supervision) {
          // Said where the caller sees it (a test's output, a CI log): the data directory and its logs may be gone by the time someone looks.
          const how = `${threaded(name) ? 'a thread of the service host' : 'a process'}, restarted ${supervision?.restartCount ?? 0} times`;
          // A thread's own stderr (PGlite's and DuckDB's messages among it) goes to the host's log, not to the service's.
          const hostLog = threaded(name) ? `\nthe end of the service host's log:\n${logTail(join(logDir, 'service-host.log'))}` : '';
          throw new Error(`${(error as Error).message}; ${how}; the end of its log:\n${logTail(file)}${hostLog}`, { cause: error });
        }
        // A start that stalls is ended and made again, as a person would: seen on a loaded machine (a
        // PGlite service not answering for minutes, as a thread and as a process; the cause is not known).
        say(`${instance} not ready after ${Math.round(attemptMs / 1000)} s: killed, to be started again (log: ${file})`);
        await supervision.signal('SIGKILL');
      }
    }
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const waitUnit = (unit: RegionUnit) => waitInstance(unit.service, unit.url, unit.instance, unit.logFile, unit.supervision, readyTimeoutMs);
  /** Restarts a region's Active/Active services with the settings of `failedOverTo` (or their own). */
  async function repoint(region: string, failedOverTo: string | undefined): Promise<void> {
    const units = (regionUnits.get(region) ?? []).filter((unit) => unit.service !== 'gateway');
    // Stopped first, so no instance writes the old Redis once another writes the new one; a few seconds, then SIGKILL (its Redis may be gone).
    await Promise.all(units.map((unit) => unit.supervision.pause(5_000)));
    for (const unit of units) {
      if (isRegional(unit.service)) Object.assign(unit.env, regionalSettings(unit.service, region, failedOverTo));
      unit.supervision.resume();
    }
    await Promise.all(units.map(waitUnit));
  }
  const failedOver = new Map<string, string>();
  const regions: RunningRegion[] = [];
  const system: RunningSystem = {
    gatewayUrl: urls.gateway,
    urls,
    instanceUrls,
    scale,
    busRedisUrl,
    storeRedisUrl,
    redisUsers: { ...usersOn },
    databaseRoles,
    auth,
    adminKey: auth.mode === 'key' ? auth.key : null,
    internalKey,
    process(name, index = 0) {
      const supervised = processes.get(name)?.[index];
      if (!supervised) throw new Error(`${name} has no instance ${index} (it runs ${scale[name]})`);
      return supervised;
    },
    instances: (name) => [...(processes.get(name) ?? [])],
    serviceHost: () => host?.supervised,
    threaded: SERVICES.filter(threaded),
    redis: (role) => ownedRedis.find((redis) => redis.name === role),
    async waitReady(name, timeoutMs = options.readyTimeoutMs ?? 60_000, index) {
      const indexes = index === undefined ? instanceUrls[name].map((_url, i) => i) : [index];
      await Promise.all(indexes.map((i) => waitInstance(name, instanceUrls[name][i] as string, instanceName(name, i), logFile(name, i), processes.get(name)?.[i], timeoutMs)));
    },
    regions,
    region(name) {
      const region = system.regions.find((candidate) => candidate.name === name);
      if (!region) throw new Error(`no region ${name} (regions: ${regionNames.join(', ') || 'none; start with regions'})`);
      return region;
    },
    async stop() {
      // Gateways first so no new work comes in, then the rest together.
      const regionGateways = regionNames.slice(1).flatMap((region) => (regionUnits.get(region) ?? []).filter((unit) => unit.service === 'gateway').map((unit) => unit.supervision));
      await Promise.all([...(processes.get('gateway') ?? []), ...regionGateways].map((supervised) => supervised.stop()));
      await Promise.all(all().map((supervised) => supervised.stop()));
      await host?.stop();
      await reportDenials();
      // Last: services flush to them while they stop. SIGTERM makes Redis fsync and exit cleanly.
      await Promise.all(ownedRedis.map((redis) => redis.process.stop()));
      if (cpuProfileDir && profiled.size > 0) keepSourceMaps(buildDir, cpuProfileDir);
      removeBuild();
    },
  };
  regions.push(...regionNames.map((name) => {
    const units = regionUnits.get(name) as RegionUnit[];
    const unitOf = (service: RegionalService | 'gateway'): RegionUnit => {
      const unit = units.find((candidate) => candidate.service === service);
      if (!unit) throw new Error(`region ${name} runs no ${service} of its own (the catalog needs a database URL)`);
      return unit;
    };
    const redis = regionRedis.get(name) as PrivateRedis;
    const passwords = credentials?.redis.store;
    return {
      name,
      gatewayUrl: unitOf('gateway').url,
      urls: Object.fromEntries(units.map((unit) => [unit.service, unit.url])) as Partial<Record<RegionalService, string>> & { gateway: string },
      redis,
      redisUrl: aclWanted && passwords ? withUser(redis.url, ADMIN_USER, passwords.admin) : redis.url,
      get failedOverTo() {
        return failedOver.get(name) ?? null;
      },
      process: (service) => unitOf(service).supervision,
      async failOver(to) {
        if (to === name || !regionRedis.has(to)) throw new Error(`region ${name} cannot fail over to "${to}" (regions: ${regionNames.join(', ')})`);
        if (failedOver.has(name)) throw new Error(`region ${name} has failed over to ${failedOver.get(name)} already`);
        if (failedOver.has(to)) throw new Error(`region ${to} is itself failed over`);
        // Down as a crash is (kill -9), and kept down: the supervisor does not restart it until restore().
        await redis.process.crash();
        say(`region ${name}: redis down (SIGKILL, kept down); its services move to region ${to}'s Redis`);
        failedOver.set(name, to);
        await repoint(name, to);
        say(`region ${name}: failed over to region ${to}`);
      },
      async restore() {
        if (!failedOver.has(name)) throw new Error(`region ${name} is not failed over`);
        redis.process.resume();
        await redis.waitReady();
        failedOver.delete(name);
        await repoint(name, undefined);
        say(`region ${name}: back on its own Redis; replication catches up both ways`);
      },
    } satisfies RunningRegion;
  }));
  try {
    const ready = Promise.all([
      ...SERVICES.map(async (name) => {
        await system.waitReady(name);
        options.onEvent?.(`${name} ready on ${instanceUrls[name].join(', ')}`);
      }),
      ...regionNames.slice(1).flatMap((region) =>
        (regionUnits.get(region) ?? []).map(async (unit) => {
          await waitUnit(unit);
          options.onEvent?.(`${unit.instance} (region ${region}) ready on ${unit.url}`);
        }),
      ),
    ]);
    ready.catch(() => undefined);
    await Promise.race([givenUp, ready]);
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}
