import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  connectRedis,
  createPublisher,
  decodeEnvelope,
  groupsOf,
  type Envelope,
  type Publisher,
  type RedisClient,
} from 'tributary';
import { createLogger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { startRedisServer, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { startOrdering, type OrderingService } from '../src/app.ts';

export interface Harness {
  db: SqlDatabase;
  service: OrderingService;
  /** Ordering's own bus connection. */
  bus: RedisClient;
  /** The test's connection, for reading streams. */
  probe: RedisClient;
  accounts: Publisher;
  fulfillment: Publisher;
  basket: Publisher;
  delivery: Publisher;
  post(body: unknown, idempotencyKey?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  get(url: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Decoded envelopes on 'ordering:events', in stream order. */
  orderingEvents(): Promise<Envelope[]>;
  /** Waits until group 'ordering' has read and acked everything on `stream`. */
  drained(stream: string): Promise<void>;
}

export interface HarnessState {
  redis: RedisServer;
  current: Harness;
}

const silent = createLogger('ordering', process.env.LOG_LEVEL ?? 'silent');

async function readStream(redis: RedisClient, stream: string): Promise<Envelope[]> {
  const raw = await redis.sendCommand<Array<[string, string[]]>>(['XRANGE', stream, '-', '+']);
  return raw.map(([, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    const decoded = decodeEnvelope(fields);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.envelope;
  });
}

/**
 * One redis-server per describe block (flushed before each test), and per
 * test a fresh database from `create` with ordering started on it in-process.
 */
export function useOrdering(create: () => Promise<TestDatabase>): HarnessState {
  const state = {} as HarnessState;
  let database: TestDatabase | null = null;
  let closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    state.redis = await startRedisServer();
  });
  afterAll(async () => {
    if (!state.redis) return;
    await state.redis.stop();
    // A restarted server was given the first one's directory, so stop() leaves it behind.
    rmSync(state.redis.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const url = state.redis.url;
    const probe = await connectRedis(url);
    await probe.sendCommand(['FLUSHALL']);
    const bus = await connectRedis(url);
    database = await create();
    const db = await database.open();
    const service = await startOrdering({
      db,
      bus,
      logger: silent,
      instance: `ordering-test-${randomBytes(4).toString('hex')}`,
      consumerOptions: { blockMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 },
      outboxOptions: { pollIntervalMs: 50 },
    });
    closers = [
      () => service.close(),
      () => db.close(),
      async () => { if (bus.isOpen) await bus.close(); },
      async () => { if (probe.isOpen) await probe.close(); },
    ];
    const reply = (response: { statusCode: number; body: string }) => ({
      status: response.statusCode,
      body: JSON.parse(response.body) as Record<string, unknown>,
    });
    state.current = {
      db,
      service,
      bus,
      probe,
      accounts: createPublisher({ redis: probe, service: 'accounts' }),
      fulfillment: createPublisher({ redis: probe, service: 'fulfillment' }),
      basket: createPublisher({ redis: probe, service: 'basket' }),
      delivery: createPublisher({ redis: probe, service: 'delivery' }),
      async post(body, idempotencyKey) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
        const payload = typeof body === 'string' ? body : JSON.stringify(body);
        return reply(await service.app.inject({ method: 'POST', url: '/orders', headers, payload }));
      },
      async get(url) {
        return reply(await service.app.inject({ method: 'GET', url }));
      },
      orderingEvents: () => readStream(probe, 'ordering:events'),
      async drained(stream) {
        let last: unknown = null;
        await waitFor(
          async () => {
            const group = (await groupsOf(probe, stream)).find((info) => info.name === 'ordering');
            last = group;
            return group !== undefined && group.lag === 0 && group.pending === 0;
          },
          { description: `group ordering drained ${stream}` },
        ).catch((error: Error) => {
          throw new Error(`${error.message}; last group info ${JSON.stringify(last)}`);
        });
      },
    };
  });

  afterEach(async () => {
    for (const close of closers) await close();
    closers = [];
    await database?.drop();
    database = null;
  });

  return state;
}

export const user = 'user-1';

export interface TestOrder {
  userId: string;
  items: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
}

export function newOrder(overrides: Partial<TestOrder> = {}): TestOrder {
  return {
    userId: user,
    items: [
      { productId: 'prod-a', quantity: 2, unitPriceCents: 1_250 },
      { productId: 'prod-b', quantity: 1, unitPriceCents: 500 },
    ],
    ...overrides,
  };
}
