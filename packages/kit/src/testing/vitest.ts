import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/client.ts';
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
    await Promise.all([env.bus.sendCommand(['FLUSHALL']), env.store.sendCommand(['FLUSHALL'])]);
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
      await env.redis.sendCommand(['FLUSHALL']);
    });
  }
  afterAll(async () => {
    await Promise.all(env.clients.filter((client) => client.isOpen).map((client) => client.close()));
    await env.server?.stop();
  });
  return env;
}
