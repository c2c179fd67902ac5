import { PAYMENTS_STREAM } from '@tributary/contracts';
import { createPublisher, groupsOf, lastEntryId, type Envelope, type Publisher, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { useSqlService, type TestDatabaseEntry } from 'tributary/testing/vitest';
import { GROUP, startAccounts } from '../src/app.ts';


export interface Running {
  app: HttpApp;
  close(): Promise<void>;
}

export interface Harness {
  bus: RedisClient;
  db: SqlDatabase;
  /** The first accounts instance, started by `setup()`. */
  accounts: Running;
  /** Publishes ordering's events, as the ordering service would. */
  ordering: Publisher;
  /** Another accounts instance on the given database (default: the same one). */
  startInstance(db?: SqlDatabase): Promise<Running>;
  /** Another connection to this test's database (PGlite: the same handle, one process's database). */
  openDatabase(): Promise<SqlDatabase>;
}

/**
 * One redis-server per test file (flushed before each test), and per test a
 * fresh database of the given kind with an accounts instance on it; all of it
 * is closed after the test, whatever happened.
 */
export function useAccounts(entry: TestDatabaseEntry): { setup(): Promise<Harness> } {
  const sql = useSqlService({
    service: 'accounts',
    database: entry,
    start: (deps): Promise<Running> =>
      startAccounts({
        ...deps,
        consumer: { blockMs: 50, batchSize: 10, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 50, claimIdleMs: 5_000 },
        outboxPollIntervalMs: 50,
      }),
  });
  return {
    async setup() {
      const run = await sql.setup();
      return {
        bus: run.bus,
        db: run.db,
        accounts: run.service,
        ordering: createPublisher({ redis: run.bus, service: 'ordering' }),
        startInstance: (other = run.db) => run.startInstance(undefined, other),
        openDatabase: () => run.openDatabase(),
      };
    },
  };
}


/** Waits until the accounts group has been delivered and has acked every entry of `stream`. */
export async function waitUntilConsumed(bus: RedisClient, stream: string): Promise<void> {
  await waitFor(
    async () => {
      const group = (await groupsOf(bus, stream)).find((candidate) => candidate.name === GROUP);
      const last = await lastEntryId(bus, stream);
      return group !== undefined && group.pending === 0 && group.lastDeliveredId === last;
    },
    { timeoutMs: 20_000, description: `accounts consumed ${stream}` },
  );
}

/** Waits for events of the given types on one of accounts' streams (users by default) and returns them all. */
export async function waitForEvents(bus: RedisClient, count: number, filter: (event: Envelope) => boolean = () => true, stream = 'accounts:events'): Promise<Envelope[]> {
  return waitFor(
    async () => {
      const events = (await readEnvelopes(bus, stream)).filter(filter);
      return events.length >= count ? events : null;
    },
    { timeoutMs: 20_000, description: `${count} events on ${stream}` },
  );
}

/** Waits for `count` payment events on PAYMENTS_STREAM and returns them all. */
export const waitForPayments = (bus: RedisClient, count: number): Promise<Envelope[]> => waitForEvents(bus, count, () => true, PAYMENTS_STREAM);

/** Integer count from SQL, identical on PGlite and pg. */
export async function count(db: SqlDatabase, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS counted`, params);
  return rows[0]?.n ?? 0;
}
