import { groupsOf, type Envelope, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { useSqlService, type TestDatabaseEntry } from 'tributary/testing/vitest';
import { startCatalog, type CatalogDeps } from '../src/app.ts';


export interface Harness {
  bus: RedisClient;
  store: RedisClient;
  db: SqlDatabase;
  app: HttpApp;
  /** Another catalog instance on the same database and the same two Redis servers. */
  another(options?: CatalogOptions): Promise<HttpApp>;
}

export type CatalogOptions = Pick<CatalogDeps, 'cache' | 'regions'>;

/**
 * Two redis-servers per test file, bus and store as in production (flushed
 * before each test), and per test a fresh database of the given kind with a
 * catalog on it; all of it is closed after the test, whatever happened.
 */
export function useCatalog(entry: TestDatabaseEntry): { setup(options?: CatalogOptions): Promise<Harness> } {
  const sql = useSqlService({
    service: 'catalog',
    database: entry,
    store: true,
    start: (deps, options: CatalogOptions) => startCatalog({ ...deps, outboxPollIntervalMs: 50, consumer: { blockMs: 100 }, ...options }),
  });
  return {
    async setup(options = {}) {
      const run = await sql.setup(options);
      return {
        bus: run.bus,
        store: run.store,
        db: run.db,
        app: run.service.app,
        // PGlite is one process's database: a second instance shares the handle; a server gets its own connection.
        another: async (more = {}) => (await run.startInstance(more, await run.openDatabase())).app,
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
