import { realpathSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, decodeEnvelope, type Envelope, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createLogger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { startRedisServer, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { startCatalog } from '../src/app.ts';

type DatabaseEntry = { kind: 'pglite' | 'postgres'; create: () => Promise<TestDatabase> };

export interface Harness {
  bus: RedisClient;
  db: SqlDatabase;
  app: HttpApp;
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

/**
 * One redis-server per test file (flushed before each test), and per test a
 * fresh database of the given kind with a catalog on it; all of it is closed
 * after the test, whatever happened.
 */
export function useCatalog(entry: DatabaseEntry): { setup(): Promise<Harness> } {
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
  return {
    async setup() {
      const database = await entry.create();
      cleanups.push(() => database.drop());
      const db = await database.open();
      cleanups.push(() => db.close());
      const catalog = await startCatalog({ db, bus, logger: createLogger('catalog', 'silent'), outboxPollIntervalMs: 50 });
      cleanups.push(() => catalog.close());
      return { bus, db, app: catalog.app };
    },
  };
}

/** Every event on catalog's stream, decoded, oldest first. */
export async function readEvents(bus: RedisClient): Promise<Envelope[]> {
  const raw = await bus.sendCommand<Array<[string, string[]]>>(['XRANGE', 'catalog:events', '-', '+']);
  return raw.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const decoded = decodeEnvelope(fields);
    if (!decoded.ok) throw new Error(`entry ${id} is not an envelope: ${decoded.reason}`);
    return decoded.envelope;
  });
}

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
