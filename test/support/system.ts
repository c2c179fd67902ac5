import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { startSystem, type RunningSystem, type Scale } from '@tributary/launcher';
import { createServerDatabase, freePort, startRedisServer, waitFor, type RedisServer } from 'tributary/testing';

export interface TestSystem {
  system: RunningSystem;
  bus: RedisServer;
  store: RedisServer;
  /** The system's data directory (its admin-key and internal-key files are here). */
  dataDir: string;
  /** Requests to the gateway as the operator: the admin key goes with each. */
  api<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  /** Requests with no credentials: anonymous, or a customer's when a `cookie` header is given. */
  publicApi: GatewayApi;
  /** Requests straight to a service's own port, with the internal key. */
  serviceFetch(url: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export type GatewayApi = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T }>;

/** What the gateway answers for an order and an account: the parts system tests read. */
export interface OrderReply {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  items: Array<{ productId: string; quantity: number }>;
}
export interface AccountReply {
  availableCents: number;
  reservedCents: number;
  spentCents: number;
}

/** JSON requests to the gateway, answering status and parsed body; with `adminKey`, as the operator. */
export function gatewayApi(gatewayUrl: string, adminKey: string | null = null): GatewayApi {
  return async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { ...(adminKey ? { 'x-api-key': adminKey } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/** A fetch to a service's own port, carrying the internal key every service asks for. */
export function serviceFetcher(internalKey: string): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'x-internal-key': internalKey } });
}

/**
 * What system tests want: drones that fly fast and never fail, a lake that
 * flushes often, every trace recorded (the dashboard test opens one order's trace).
 */
export const TEST_SYSTEM_ENV = { LOG_LEVEL: 'warn', DRONE_TIME_SCALE: '200', DRONE_FAILURE_RATE: '0', LAKE_FLUSH_INTERVAL_MS: '500', TRIBUTARY_TRACE_SAMPLE_RATIO: '1', TRIBUTARY_TRACE_MAX_PER_SECOND: '0' };

/** The whole reference system as real processes, on private Redis servers and databases. */
export async function startTestSystem(database: 'pglite' | 'postgres'): Promise<TestSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-system-'));
  const bus = await startRedisServer({ appendOnly: true });
  const store = await startRedisServer({ appendOnly: true });
  const serverDb = database === 'postgres' ? await createServerDatabase(process.env.TEST_DATABASE_URL as string) : null;
  const system = await startSystem({
    // As the supervised systems: on a loaded machine (two system files at once) a PGlite service has taken over 60 s to start.
    readyTimeoutMs: 150_000,
    rootDir: resolve(import.meta.dirname, '..', '..'),
    dataDir,
    gatewayPort: await freePort(),
    busRedisUrl: bus.url,
    storeRedisUrl: store.url,
    ...(serverDb ? { databaseUrl: serverDb.url } : {}),
    env: TEST_SYSTEM_ENV,
  });
  return {
    system,
    bus,
    store,
    dataDir,
    api: gatewayApi(system.gatewayUrl, system.adminKey),
    publicApi: gatewayApi(system.gatewayUrl),
    serviceFetch: serviceFetcher(system.internalKey),
    async stop() {
      await system.stop();
      await Promise.all([bus.stop(), store.stop()]);
      await serverDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A system that owns its Redis servers: the launcher starts and supervises them as `npm start` does. */
export interface SupervisedTestSystem {
  system: RunningSystem;
  /** Its data directory: the launcher's Redis AOF, each PGlite, the lake, the keys. */
  dataDir: string;
  api: GatewayApi;
  /** fetch to a service's own port, with the internal key every service asks for. */
  serviceFetch(url: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The whole reference system with the launcher's own, supervised bus and
 * store Redis servers (PGlite per service): for tests that kill a
 * redis-server and expect the launcher to bring it back.
 */
export async function startSupervisedTestSystem(
  options: { env?: Record<string, string>; readyTimeoutMs?: number; scale?: Partial<Scale>; databaseUrl?: string; dataDir?: string } = {},
): Promise<SupervisedTestSystem> {
  // A given directory (a restored one) is removed at stop like a new one.
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-supervised-'));
  const system = await startSystem({
    rootDir: resolve(import.meta.dirname, '..', '..'),
    dataDir,
    gatewayPort: await freePort(),
    env: { ...TEST_SYSTEM_ENV, ...options.env },
    readyTimeoutMs: options.readyTimeoutMs ?? 150_000,
    ...(options.scale ? { scale: options.scale } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    system,
    dataDir,
    api: gatewayApi(system.gatewayUrl, system.adminKey),
    serviceFetch: serviceFetcher(system.internalKey),
    async stop() {
      await system.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Where each book is: held by which of `readers`, in lending's automated
 * storage, on a shelf. Shelving learns of books sent back from lending's
 * events, so this waits (up to 30 s) for every book to be in exactly one
 * place, and answers the last look either way: the caller asserts on it.
 */
export async function settledBookPlaces(t: Pick<TestSystem, 'system' | 'api' | 'serviceFetch'>, readers: readonly string[], bookIds: readonly string[]): Promise<Array<{ bookId: string; places: string[] }>> {
  const look = async () => {
    const storage = await t.serviceFetch(`${t.system.urls.lending}/storage`).then((response) => response.json() as Promise<{ bookIds: string[] }>);
    const held = await Promise.all(readers.map(async (reader) => ({ reader, books: (await t.api<{ bookIds: string[] }>('GET', `/api/lending/users/${reader}/books`)).body.bookIds })));
    return Promise.all(
      bookIds.map(async (bookId) => {
        const shelf = await t.serviceFetch(`${t.system.urls.shelving}/books/${bookId}`).then((response) => response.json() as Promise<{ onShelf: boolean }>);
        const places = held.filter((reader) => reader.books.includes(bookId)).map((reader) => reader.reader);
        if (storage.bookIds.includes(bookId)) places.push('storage');
        if (shelf.onShelf) places.push('shelf');
        return { bookId, places };
      }),
    );
  };
  return waitFor(async () => {
    const all = await look();
    return all.every((book) => book.places.length === 1) ? all : null;
  }, { timeoutMs: 30_000, intervalMs: 250, description: 'every book in one place' }).catch(() => look());
}

/** An order once it reached a final status, read through the gateway (30 s at most). */
export function finalOrder<Order extends { status: string }>(api: GatewayApi, orderId: string): Promise<Order> {
  return waitFor(
    async () => {
      const found = await api<Order>('GET', `/api/orders/${orderId}`);
      return found.status === 200 && TERMINAL_STATUSES.includes(found.body.status as never) ? found.body : null;
    },
    { timeoutMs: 30_000, description: `order ${orderId} terminal` },
  );
}
