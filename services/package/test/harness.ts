import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { OrderShipped } from '@tributary/contracts';
import { connectRedis, createPublisher, groupsOf, type Envelope, type EventData, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, startRedisServer, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { startPackage, type PackageService } from '../src/app.ts';
import type { GeoPoint } from '../src/domain/dropoff.ts';

/** Not the default: proves the warehouse the service is given is the one it uses. */
export const TEST_WAREHOUSE: GeoPoint = { lat: 55.9533, lon: -3.1883 };

export interface Harness {
  db: SqlDatabase;
  service: PackageService;
  probe: RedisClient;
  fulfillment: Publisher;
  get(url: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** An OrderShipped envelope (not published). */
  shipped(data: Partial<EventData<typeof OrderShipped>>): Envelope<EventData<typeof OrderShipped>>;
  /** Decoded envelopes on 'package:events', in stream order. */
  packageEvents(): Promise<Envelope[]>;
  /** Waits until group 'package' has read and acked everything on 'fulfillment:events'. */
  drained(): Promise<void>;
}

export interface HarnessState {
  redis: RedisServer;
  current: Harness;
}

const silent = createLogger('package', process.env.LOG_LEVEL ?? 'silent');

/**
 * One redis-server per describe block (flushed before each test), and per
 * test a fresh database from `create` with package started on it in-process.
 */
export function usePackage(create: () => Promise<TestDatabase>): HarnessState {
  const state = {} as HarnessState;
  let database: TestDatabase | null = null;
  let closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    state.redis = await startRedisServer();
  });
  afterAll(async () => {
    if (!state.redis) return;
    await state.redis.stop();
    rmSync(state.redis.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const probe = await connectRedis(state.redis.url);
    await probe.sendCommand(['FLUSHALL']);
    const bus = await connectRedis(state.redis.url);
    database = await create();
    const db = await database.open();
    const service = await startPackage({
      db,
      bus,
      logger: silent,
      instance: `package-test-${randomBytes(4).toString('hex')}`,
      warehouse: TEST_WAREHOUSE,
      consumerOptions: { blockMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 },
      outboxOptions: { pollIntervalMs: 50 },
    });
    closers = [
      () => service.close(),
      () => db.close(),
      async () => { if (bus.isOpen) await bus.close(); },
      async () => { if (probe.isOpen) await probe.close(); },
    ];
    const fulfillment = createPublisher({ redis: probe, service: 'fulfillment' });
    state.current = {
      db,
      service,
      probe,
      fulfillment,
      async get(url) {
        const response = await service.app.inject({ method: 'GET', url });
        return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
      },
      shipped: (data) => fulfillment.envelope(OrderShipped, { orderId: randomUUID(), userId: randomUUID(), ...data }),
      packageEvents: () => readEnvelopes(probe, 'package:events'),
      async drained() {
        let last: unknown = null;
        await waitFor(
          async () => {
            const group = (await groupsOf(probe, 'fulfillment:events')).find((info) => info.name === 'package');
            last = group;
            return group !== undefined && group.lag === 0 && group.pending === 0;
          },
          { description: 'group package drained fulfillment:events' },
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
