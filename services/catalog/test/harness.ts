import { realpathSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, groupsOf, type Envelope, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createLogger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, startRedisServer, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { startCatalog, type CatalogDeps } from '../src/app.ts';

type DatabaseEntry = { kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> };

export interface Harness {
  bus: RedisClient;
  store: RedisClient;
  db: SqlDatabase;
  app: HttpApp;
  /** Another catalog instance on the same database and the same two Redis servers. */
  another(options?: CatalogOptions): Promise<HttpApp>;
}

export type CatalogOptions = Pick<CatalogDeps, 'cache'>;

/**
 * startRedisServer picks a free port and then spawns redis-server on it; when
 * other test processes on the machine do the same, two can race for one port
 * and the loser's probe connects to the winner's server. Checking that the
 * server runs in our own directory catches that, and we start another.
 */
async function startOwnRedis(): Promise<{ server: RedisServer; client: RedisClient }> {
  for (let attempt = 1; ; attempt++) {
    const server = await startRedisServer();
    const client = await connectRedis(server.url);
    const reply = await client.sendCommand<string[]>(['CONFIG', 'GET', 'dir']);
    if (reply[1] === realpathSync(server.dir)) return { server, client };
    await client.close();
    await server.stop();
    if (attempt === 5) throw new Error('could not start a private redis-server');
  }
}

/**
 * Two redis-servers per test file, bus and store as in production (flushed
 * before each test), and per test a fresh database of the given kind with a
 * catalog on it; all of it is closed after the test, whatever happened.
 */
export function useCatalog(entry: DatabaseEntry): { setup(options?: CatalogOptions): Promise<Harness> } {
  let servers: RedisServer[] = [];
  let bus: RedisClient;
  let store: RedisClient;
  let cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    const busRedis = await startOwnRedis();
    const storeRedis = await startOwnRedis();
    servers = [busRedis.server, storeRedis.server];
    bus = busRedis.client;
    store = storeRedis.client;
  });
  beforeEach(async () => {
    await bus.flushAll();
    await store.flushAll();
  });
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    for (const cleanup of pending) await cleanup();
  });
  afterAll(async () => {
    await bus?.close();
    await store?.close();
    for (const server of servers) await server.stop();
  });
  let instances = 0;
  async function startOn(db: SqlDatabase, options: CatalogOptions): Promise<HttpApp> {
    const catalog = await startCatalog({
      db,
      bus,
      store,
      logger: createLogger('catalog', 'silent'),
      instance: `catalog-test-${++instances}`,
      outboxPollIntervalMs: 50,
      consumer: { blockMs: 100 },
      ...options,
    });
    cleanups.push(() => catalog.close());
    return catalog.app;
  }
  return {
    async setup(options = {}) {
      const database = await entry.create();
      cleanups.push(() => database.drop());
      const db = await database.open();
      cleanups.push(() => db.close());
      const app = await startOn(db, options);
      return {
        bus,
        store,
        db,
        app,
        async another(more = {}) {
          // PGlite is one process's database: a second instance shares the handle; a server gets its own connection.
          if (entry.kind === 'pglite') return startOn(db, more);
          const second = await database.open();
          cleanups.push(() => second.close());
          return startOn(second, more);
        },
      };
    },
  };
}

/** Every event on catalog's stream, decoded, oldest first. */
export const readEvents = (bus: RedisClient): Promise<Envelope[]> => readEnvelopes(bus, 'catalog:events');

export async function waitForEvents(bus: RedisClient, count: number): Promise<Envelope[]> {
  return waitFor(
    async () => {
      const events = await readEvents(bus);
      return events.length >= count ? events : null;
    },
    { timeoutMs: 20_000, description: `${count} catalog events` },
  );
}

export async function count(db: SqlDatabase, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS counted`);
  return rows[0]?.n ?? 0;
}

/**
 * Waits until catalog's stream holds `count` events and catalog's own group
 * has handled all of them, so a test's next step cannot race the consumer's
 * invalidation.
 */
export async function waitForSettled(bus: RedisClient, count: number): Promise<Envelope[]> {
  const events = await waitForEvents(bus, count);
  await waitFor(
    async () => {
      const group = (await groupsOf(bus, 'catalog:events')).find((info) => info.name === 'catalog');
      return group !== undefined && group.pending === 0 && group.lag === 0;
    },
    { timeoutMs: 20_000, description: 'catalog group handled every event' },
  );
  return events;
}

/** The value of one metric series in an app's registry (0 when absent). */
export async function metric(app: HttpApp, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await app.metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((value) => Object.entries(labels).every(([label, expected]) => value.labels[label] === expected))
    .reduce((sum, value) => sum + value.value, 0);
}
