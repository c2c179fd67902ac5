import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { flushRedis } from './flush.ts';
import type { SqlDatabase } from '../sql/database.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import type { TestDatabase } from './databases.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';

export interface BusAndStore<Instance> {
  /** Streams only. */
  bus: RedisClient;
  /** The service's own data: a different server, so nothing can depend on them being one. */
  store: RedisClient;
  busServer: RedisServer;
  storeServer: RedisServer;
  /** Closes the instance after the current test. */
  track(instance: Instance): Instance;
  /** Stops tracking an instance the test closes itself. */
  forget(instance: Instance): void;
}

/**
 * The Vitest lifecycle most service tests share: a private bus and store
 * `redis-server` for the file, both flushed before each test, the test's
 * service instances closed after it, everything stopped at the end. Kept
 * apart from `tributary/testing`, which the launcher imports outside Vitest.
 */
export function useBusAndStore<Instance extends { close(): Promise<unknown> }>(): BusAndStore<Instance> {
  const env = {} as BusAndStore<Instance>;
  let running: Instance[] = [];
  env.track = (instance) => {
    running.push(instance);
    return instance;
  };
  env.forget = (instance) => {
    running = running.filter((other) => other !== instance);
  };
  beforeAll(async () => {
    [env.busServer, env.storeServer] = await Promise.all([startRedisServer(), startRedisServer()]);
    env.bus = await connectRedis(env.busServer.url);
    env.store = await connectRedis(env.storeServer.url);
  });
  beforeEach(async () => {
    await Promise.all([flushRedis(env.bus), flushRedis(env.store)]);
  });
  afterEach(async () => {
    const closing = running;
    running = [];
    await Promise.all(closing.map((instance) => instance.close()));
  });
  afterAll(async () => {
    await Promise.all([env.bus, env.store].filter((client) => client?.isOpen).map((client) => client.close()));
    await Promise.all([env.busServer, env.storeServer].filter(Boolean).map((server) => server.stop()));
  });
  return env;
}

export interface PrivateRedis {
  server: RedisServer;
  /** The first of `clients`. */
  redis: RedisClient;
  clients: RedisClient[];
}

/**
 * One private `redis-server` for the test file, started with `clients`
 * connections to it (one unless told) before the first test and everything
 * closed after the last; with `flush`, emptied before each test. Fields are
 * set in `beforeAll`: read them in tests.
 */
export function useRedis(options: { clients?: number; flush?: boolean } = {}): PrivateRedis {
  const env = { clients: [] as RedisClient[] } as PrivateRedis;
  beforeAll(async () => {
    env.server = await startRedisServer();
    for (let i = 0; i < (options.clients ?? 1); i++) env.clients.push(await connectRedis(env.server.url));
    env.redis = env.clients[0] as RedisClient;
  });
  if (options.flush) {
    beforeEach(async () => {
      await flushRedis(env.redis);
    });
  }
  afterAll(async () => {
    await Promise.all(env.clients.filter((client) => client.isOpen).map((client) => client.close()));
    await env.server?.stop();
  });
  return env;
}

/** One entry of `testDatabases()`: what a SQL service's tests run against. */
export interface TestDatabaseEntry {
  create(): Promise<TestDatabase>;
}

/** A test's connections: the database, and the bus (streams only). */
export interface SqlServiceConnections {
  db: SqlDatabase;
  bus: RedisClient;
}

/** With `store: true`, the service's own Redis data on a second server, as in production. */
export type StoreConnection<WithStore extends boolean> = WithStore extends true ? { store: RedisClient } : unknown;

/** What `start` is given for each instance of the service under test. */
export type SqlServiceDeps<WithStore extends boolean = false> = SqlServiceConnections &
  StoreConnection<WithStore> & {
    /** A consumer name of its own for each instance. */
    instance: string;
    /** Silent unless LOG_LEVEL asks for more. */
    logger: Logger;
  };

export interface SqlServiceOptions<Service, Options, WithStore extends boolean> {
  /** Names the instances and the logger. */
  service: string;
  database: TestDatabaseEntry;
  /** A store redis-server apart from the bus. */
  store?: WithStore;
  /** Starts one instance in-process with what a test asked for (`setup(options)`, `startInstance(options)`). */
  start(deps: SqlServiceDeps<WithStore>, options: Options): Promise<Service>;
}

/** One test's service: its connections, its fresh database and the first instance on it. */
export type SqlServiceRun<Service, Options, WithStore extends boolean> = SqlServiceConnections &
  StoreConnection<WithStore> & {
    database: TestDatabase;
    service: Service;
    /** Another instance, on the test's database connection unless given another (`openDatabase()`). */
    startInstance(options: Options, db?: SqlDatabase): Promise<Service>;
    /** Another connection to the test's database: a server's own, closed after the test; PGlite is one process's database, so its one handle. */
    openDatabase(): Promise<SqlDatabase>;
    /** Another connection to the bus server, the test's own apart from the service's, closed after the test. */
    connectBus(): Promise<RedisClient>;
    /** Closes every instance and database connection now, for a test that hands the database to another process; it is dropped after the test. */
    stopService(): Promise<void>;
  };

export interface SqlService<Service, Options, WithStore extends boolean> {
  /** The bus server, set in `beforeAll`; a test that restarts it stores the new one here. */
  busServer: RedisServer;
  /** With `store: true`. */
  storeServer: RedisServer | undefined;
  /**
   * Per test (call it in the test or in a `beforeEach`): connections to the
   * servers, both flushed, a fresh database and an instance on it.
   */
  setup(options: Options): Promise<SqlServiceRun<Service, Options, WithStore>>;
  /** Runs `cleanup` after the current test, before what was deferred earlier: deferred before `setup`, after the service has closed and its database is gone. */
  defer(cleanup: () => unknown): void;
}

let sqlInstances = 0;

/**
 * The Vitest lifecycle of a SQL service's tests: a private redis-server (two
 * with `store`) per describe block, and per test fresh connections, flushed
 * servers, a fresh database from `testDatabases()` and the service started
 * in-process on it. After each test what was deferred runs last in first
 * out, each step even when one before it failed: what the test deferred
 * after `setup`, the instances, the database connections, the Redis
 * connections, the database's drop, what the test deferred before `setup`.
 * Connections are per test, not per file, so a test may restart a server.
 */
export function useSqlService<Service extends { close(): Promise<unknown> }, Options = void, WithStore extends boolean = false>(
  options: SqlServiceOptions<Service, Options, WithStore>,
): SqlService<Service, Options, WithStore> {
  let cleanups: Array<() => unknown> = [];
  const defer = (cleanup: () => unknown) => {
    cleanups.push(cleanup);
  };
  const logger = createLogger(options.service, process.env.LOG_LEVEL ?? 'silent');
  const lifecycle: SqlService<Service, Options, WithStore> = {
    busServer: undefined as unknown as RedisServer,
    storeServer: undefined,
    defer,
    async setup(asked) {
      const database = await options.database.create();
      defer(() => database.drop());
      const connect = async (server: RedisServer) => {
        const client = await connectRedis(server.url);
        defer(async () => {
          if (client.isOpen) await client.close();
        });
        return client;
      };
      const bus = await connect(lifecycle.busServer);
      const store = lifecycle.storeServer ? await connect(lifecycle.storeServer) : undefined;
      await Promise.all([bus, store].map((client) => (client ? flushRedis(client) : undefined)));
      const db = await database.open();
      // Every instance closes before any connection it may still be using.
      const connections = [db];
      const closeConnections = () => closeEach(connections, (connection) => connection.close());
      defer(closeConnections);
      const instances: Service[] = [];
      const closeInstances = () => closeEach(instances, (instance) => instance.close());
      defer(closeInstances);
      const startInstance = async (more: Options, on: SqlDatabase = db) => {
        const deps = { db: on, bus, ...(store ? { store } : {}), instance: `${options.service}-test-${process.pid}-${++sqlInstances}`, logger };
        const instance = await options.start(deps as SqlServiceDeps<WithStore>, more);
        instances.push(instance);
        return instance;
      };
      const service = await startInstance(asked);
      const run = {
        db,
        bus,
        ...(store ? { store } : {}),
        database,
        service,
        startInstance,
        connectBus: () => connect(lifecycle.busServer),
        async openDatabase() {
          if (database.kind === 'pglite') return db;
          const other = await database.open();
          connections.push(other);
          return other;
        },
        async stopService() {
          await closeInstances();
          await closeConnections();
        },
      };
      return run as SqlServiceRun<Service, Options, WithStore>;
    },
  };
  beforeAll(async () => {
    [lifecycle.busServer, lifecycle.storeServer] = await Promise.all([startRedisServer(), options.store ? startRedisServer() : undefined]);
  });
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    const failures: unknown[] = [];
    for (const cleanup of pending) await Promise.resolve().then(cleanup).catch((error: unknown) => failures.push(error));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'cleanups failed after the test');
  });
  afterAll(async () => {
    for (const server of [lifecycle.busServer, lifecycle.storeServer]) {
      if (!server) continue;
      await server.stop();
      // A restarted server was given the first one's directory, so stop() leaves it behind.
      rmSync(server.dir, { recursive: true, force: true });
    }
  });
  return lifecycle;
}

/** Closes and forgets each of `items`, newest first, so a second call closes only what came since. */
async function closeEach<Item>(items: Item[], close: (item: Item) => Promise<unknown>): Promise<void> {
  for (let item = items.pop(); item !== undefined; item = items.pop()) await close(item);
}
