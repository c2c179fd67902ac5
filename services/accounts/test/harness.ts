import { realpathSync } from 'node:fs';
import { PAYMENTS_STREAM } from '@tributary/contracts';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, createPublisher, groupsOf, lastEntryId, type Envelope, type Publisher, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createLogger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, startRedisServer, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { GROUP, startAccounts } from '../src/app.ts';

type DatabaseEntry = { kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> };

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
  /** Another connection to this test's database (PGlite: none, one process only). */
  openDatabase(): Promise<SqlDatabase>;
}

let instances = 0;

/**
 * One redis-server per test file (flushed before each test), and per test a
 * fresh database of the given kind with an accounts instance on it; all of it
 * is closed after the test, whatever happened.
 */
export function useAccounts(entry: DatabaseEntry): { setup(): Promise<Harness> } {
  let server: RedisServer;
  let bus: RedisClient;
  let cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    ({ server, bus } = await startOwnRedis());
  });
  beforeEach(async () => {
    await bus.flushAll();
  });
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    for (const cleanup of pending) await cleanup();
  });
  afterAll(async () => {
    await bus?.close();
    await server?.stop();
  });

  async function startInstance(db: SqlDatabase): Promise<Running> {
    const running = await startAccounts({
      db,
      bus,
      instance: `accounts-test-${process.pid}-${++instances}`,
      logger: createLogger('accounts', 'silent'),
      consumer: { blockMs: 50, batchSize: 10, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 50, claimIdleMs: 5_000 },
      outboxPollIntervalMs: 50,
    });
    cleanups.push(() => running.close());
    return running;
  }

  return {
    async setup() {
      const database = await entry.create();
      cleanups.push(() => database.drop());
      const db = await database.open();
      cleanups.push(() => db.close());
      const accounts = await startInstance(db);
      return {
        bus,
        db,
        accounts,
        ordering: createPublisher({ redis: bus, service: 'ordering' }),
        startInstance: (other = db) => startInstance(other),
        async openDatabase() {
          const other = await database.open();
          cleanups.push(() => other.close());
          return other;
        },
      };
    },
  };
}

/**
 * startRedisServer picks a free port and then spawns redis-server on it; when
 * other test processes on the machine do the same, two can race for one port
 * and the loser's probe connects to the winner's server. Checking that the
 * server runs in our own directory catches that, and we start another.
 */
async function startOwnRedis(): Promise<{ server: RedisServer; bus: RedisClient }> {
  for (let attempt = 1; ; attempt++) {
    const server = await startRedisServer();
    const bus = await connectRedis(server.url);
    const reply = await bus.sendCommand<string[]>(['CONFIG', 'GET', 'dir']);
    if (reply[1] === realpathSync(server.dir)) return { server, bus };
    await bus.close();
    await server.stop();
    if (attempt === 5) throw new Error('could not start a private redis-server');
  }
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
