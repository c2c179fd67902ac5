import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  connectRedis, createPublisher, groupsOf, lastEntryId, replyRecord, scanKeys,
  type Envelope, type Publisher, type RedisClient,
} from 'tributary';
import { createLogger } from 'tributary/service';
import { flushRedis, readStreamEvents, type RedisServer, type RedisServerOptions, startRedisServer, waitFor } from 'tributary/testing';
import { LendingRequested, lendingEvents, LENDING_REQUESTS_STREAM, ReturnRequested } from '@tributary/contracts';
import { startShelving, type ShelvingService } from '../../shelving/src/app.ts';
import { startLending, type LendingDeps, type LendingService } from '../src/app.ts';
import { lendingSettingsDefaults, type LendingSettings } from '../src/settings.ts';
import { lendingKeys, lendingPatterns } from '../src/store/keys.ts';
import { createLendingStore } from '../src/store/lending.ts';
import type { Outcome } from '../src/domain/outcome.ts';

export const logger = createLogger('lending', process.env.TEST_LOG ?? 'silent');

export interface LendingTestEnv {
  /** Lending's one Redis: request stream, state, events (and shelving's bus). */
  bus: RedisClient;
  busServer: RedisServer;
  /** Shelving's own store. */
  shelf: RedisClient;
  requests: Publisher;
  shelvingUrl: string;
  settings(overrides?: Partial<LendingSettings>): LendingSettings;
  /** Starts a lending instance in this process (closed after the test). */
  start(overrides?: Partial<LendingSettings>, deps?: Partial<Omit<LendingDeps, 'bus' | 'settings'>>): Promise<LendingService>;
  stop(instance: LendingService): Promise<void>;
  /** Appends a request or a return to lending:requests, as the HTTP API and the CLI do; returns its id. */
  submit(kind: 'lend' | 'return', userId: string, bookIds: string[]): Promise<string>;
  /** Waits until the request is decided. */
  outcome(requestId: string, timeoutMs?: number): Promise<Outcome>;
  /** Waits until lending and shelving have handled everything on their streams. */
  settled(timeoutMs?: number): Promise<void>;
  /** Every event on lending:events, decoded and checked against its contract schema. */
  events(): Promise<Envelope[]>;
  state(): Promise<LendingState>;
  /** SIGKILLs the bus redis-server and starts it again on its AOF (same port): clients reconnect by themselves. */
  restartBus(): Promise<void>;
}

export interface LendingState {
  lent: Record<string, string>;
  storage: string[];
  users: Record<string, { count: number; books: string[] }>;
  /** Keys that must not outlive a request: reservations and pending loans. */
  leftovers: string[];
  /** Shelving's handed-out books: bookId -> request id. */
  out: Record<string, string>;
}

/** Every key matching `pattern`, on every primary of a cluster (KEYS would answer for one node). */
async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  for await (const keys of scanKeys(redis, pattern)) for (const key of keys) found.add(key);
  return [...found];
}

export async function readState(bus: RedisClient, shelf: RedisClient): Promise<LendingState> {
  const lent = replyRecord(await bus.sendCommand(['HGETALL', lendingKeys.lent()]));
  const storage = (await bus.sendCommand<string[]>(['SMEMBERS', lendingKeys.storage()])).sort();
  const users: LendingState['users'] = {};
  for (const key of await keysMatching(bus, lendingPatterns.userCounts())) {
    users[lendingPatterns.userOf(key)] = { count: Number(await bus.sendCommand(['GET', key])), books: [] };
  }
  for (const key of await keysMatching(bus, lendingPatterns.userBooks())) {
    const userId = lendingPatterns.userOf(key);
    users[userId] ??= { count: 0, books: [] };
    users[userId].books = (await bus.sendCommand<string[]>(['SMEMBERS', key])).sort();
  }
  // Reservations and pending loans: both are gone once every request is decided.
  const leftovers = [...(await keysMatching(bus, lendingPatterns.reserved())), ...(await keysMatching(bus, lendingPatterns.userPending()))].sort();
  const out = replyRecord(await shelf.sendCommand(['HGETALL', 'shelving:out']));
  return { lent: { ...lent }, storage, users, leftovers, out: { ...out } };
}

export async function decodedEvents(bus: RedisClient): Promise<Envelope[]> {
  return (await readStreamEvents(bus, lendingKeys.events())).map(({ id: entryId, envelope }) => {
    const definition = lendingEvents.find((candidate) => candidate.type === envelope.type);
    if (!definition) throw new Error(`lending published an unknown event type ${envelope.type}`);
    const problem = definition.validate(envelope.data);
    if (problem) throw new Error(`${envelope.type} ${entryId} breaks its contract: ${problem}`);
    return envelope;
  });
}

export async function groupSettled(bus: RedisClient, stream: string, group: string): Promise<boolean> {
  const info = (await groupsOf(bus, stream)).find((candidate) => candidate.name === group);
  if (!info || info.pending !== 0) return false;
  if (info.lag !== null) return info.lag === 0;
  // Redis reports no lag when it cannot count it (e.g. after some AOF reloads): compare ids instead.
  const last = await lastEntryId(bus, stream);
  return last === null || last === info.lastDeliveredId;
}

export function useLending(options: { bus?: RedisServerOptions; shelving?: boolean } = {}): LendingTestEnv {
  const servers: RedisServer[] = [];
  const dirs: string[] = [];
  const clients: RedisClient[] = [];
  let running: LendingService[] = [];
  let shelving: ShelvingService | null = null;
  const env = {} as LendingTestEnv;

  beforeAll(async () => {
    const [bus, shelf] = await Promise.all([startRedisServer(options.bus), startRedisServer()]);
    servers.push(bus, shelf);
    env.busServer = bus;
    env.bus = await connectRedis(bus.url);
    env.shelf = await connectRedis(shelf.url);
    clients.push(env.bus, env.shelf);
    env.requests = createPublisher({ redis: env.bus, service: 'lending', stream: LENDING_REQUESTS_STREAM });
  });
  beforeEach(async () => {
    await Promise.all([flushRedis(env.bus), flushRedis(env.shelf)]);
    if (options.shelving === false) return;
    shelving = await startShelving({ bus: env.bus, store: env.shelf, logger, instance: `shelving-${randomBytes(3).toString('hex')}`, consumer: { blockMs: 100 } });
    const address = await shelving.app.listen({ host: '127.0.0.1', port: 0 });
    env.shelvingUrl = address;
  });
  afterEach(async () => {
    const closing = running;
    running = [];
    await Promise.all(closing.map((instance) => instance.close()));
    await shelving?.close();
    shelving = null;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  env.settings = (overrides = {}) => ({ ...lendingSettingsDefaults, shelvingUrl: env.shelvingUrl, shelvingBackoffMs: 20, ...overrides });

  env.start = async (overrides = {}, deps = {}) => {
    const instance = await startLending({
      instance: `lending-test-${randomBytes(3).toString('hex')}`,
      ...deps,
      bus: env.bus,
      logger: deps.logger ?? logger,
      settings: env.settings(overrides),
      consumer: { blockMs: 100, ...deps.consumer },
    });
    running.push(instance);
    return instance;
  };

  env.stop = async (instance) => {
    running = running.filter((other) => other !== instance);
    await instance.close();
  };

  env.submit = (kind, userId, bookIds) =>
    kind === 'lend' ? env.requests.publish(LendingRequested, { userId, bookIds }) : env.requests.publish(ReturnRequested, { userId, bookIds });

  env.outcome = async (requestId, timeoutMs = 15_000) => {
    // A store that is never opened reads outcomes without a lending instance (child-process tests).
    const reader = createLendingStore({ redis: env.bus, ...lendingSettingsDefaults });
    return waitFor(() => reader.outcome(requestId), { timeoutMs, description: `outcome of ${requestId}` });
  };

  env.settled = async (timeoutMs = 15_000) => {
    try {
      await waitFor(async () => (await groupSettled(env.bus, LENDING_REQUESTS_STREAM, 'lending'))
        && (options.shelving === false || (await groupSettled(env.bus, lendingKeys.events(), 'shelving'))), {
        timeoutMs, description: 'lending and shelving caught up',
      });
    } catch (error) {
      const groups = {
        requests: await groupsOf(env.bus, LENDING_REQUESTS_STREAM).catch(String),
        events: await groupsOf(env.bus, lendingKeys.events()).catch(String),
      };
      throw new Error(`${(error as Error).message}; groups: ${JSON.stringify(groups)}`);
    }
  };

  env.restartBus = async () => {
    const next = await env.busServer.restart();
    servers[servers.indexOf(env.busServer)] = next;
    // The restarted server was given its directory, so its stop() keeps it: remove it at the end.
    const dir = next.dir;
    dirs.push(dir);
    env.busServer = next;
    await waitFor(() => env.bus.isReady, { description: 'test client reconnected' });
  };

  env.events = () => decodedEvents(env.bus);
  env.state = () => readState(env.bus, env.shelf);
  return env;
}
