import { randomUUID } from 'node:crypto';
import { beforeEach } from 'vitest';
import { OrderShipped } from '@tributary/contracts';
import { createPublisher, groupsOf, type Envelope, type EventData, type Publisher, type RedisClient } from 'tributary';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, waitFor, type TestDatabase } from 'tributary/testing';
import { useSqlService } from 'tributary/testing/vitest';
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
  current: Harness;
}

/**
 * One redis-server per describe block (flushed before each test), and per
 * test a fresh database from `create` with package started on it in-process.
 */
export function usePackage(create: () => Promise<TestDatabase>): HarnessState {
  const sql = useSqlService({
    service: 'package',
    database: { create },
    start: (deps) =>
      startPackage({
        ...deps,
        warehouse: TEST_WAREHOUSE,
        consumerOptions: { blockMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 },
        outboxOptions: { pollIntervalMs: 50 },
      }),
  });
  const state = {} as HarnessState;

  beforeEach(async () => {
    const { db, service, connectBus } = await sql.setup();
    const probe = await connectBus();
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

  return state;
}
