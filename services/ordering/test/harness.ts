import { beforeEach } from 'vitest';
import { createPublisher, groupsOf, type Envelope, type Publisher, type RedisClient } from 'tributary';
import { PAYMENTS_STREAM } from '@tributary/contracts';
import type { SqlDatabase } from 'tributary/sql';
import { readEnvelopes, waitFor, type RedisServer, type TestDatabase } from 'tributary/testing';
import { useSqlService } from 'tributary/testing/vitest';
import { startOrdering, type OrderingService } from '../src/app.ts';
import { OwnerUnavailableError, type OwnerLookups } from '../src/owner-lookups.ts';

export interface Harness {
  db: SqlDatabase;
  service: OrderingService;
  /** Ordering's own bus connection. */
  bus: RedisClient;
  /** The test's connection, for reading streams. */
  probe: RedisClient;
  /** Users, on accounts:events. */
  accounts: Publisher;
  /** Accounts' payments, on PAYMENTS_STREAM. */
  payments: Publisher;
  fulfillment: Publisher;
  basket: Publisher;
  delivery: Publisher;
  catalog: Publisher;
  /** What accounts and the catalog answer when ordering has no copy of a user or product yet. */
  owners: OwnersStandIn;
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

/**
 * Accounts and the catalog as ordering's fallback sees them, in memory:
 * every user exists unless `users` lists who does; `prices` are the
 * catalog's; `down` makes every question fail as an unreachable owner does.
 */
export interface OwnersStandIn extends OwnerLookups {
  users: Set<string> | null;
  prices: Map<string, number>;
  down: boolean;
  /** Questions asked, in order: `user:<id>` or `products:<id,id>`. */
  asked: string[];
}

/** The harness's catalog: the products of `newOrder()` at its prices. */
export const catalogPrices: ReadonlyArray<[string, number]> = [['prod-a', 1_250], ['prod-b', 500]];

function ownersStandIn(): OwnersStandIn {
  const owners: OwnersStandIn = {
    users: null,
    prices: new Map(catalogPrices),
    down: false,
    asked: [],
    async userExists(userId) {
      owners.asked.push(`user:${userId}`);
      if (owners.down) throw new OwnerUnavailableError('accounts', 'down in this test');
      return owners.users === null || owners.users.has(userId);
    },
    async productPrices(productIds) {
      owners.asked.push(`products:${productIds.join(',')}`);
      if (owners.down) throw new OwnerUnavailableError('catalog', 'down in this test');
      return new Map(productIds.filter((id) => owners.prices.has(id)).map((id) => [id, owners.prices.get(id) as number]));
    },
  };
  return owners;
}

/**
 * One redis-server per describe block (flushed before each test), and per
 * test a fresh database from `create` with ordering started on it in-process.
 */
export function useOrdering(create: () => Promise<TestDatabase>): HarnessState {
  const sql = useSqlService({
    service: 'ordering',
    database: { create },
    start: (deps, owners: OwnersStandIn) => startOrdering({ ...deps, owners, consumerOptions: { blockMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 }, outboxOptions: { pollIntervalMs: 50 } }),
  });
  const state = {
    get redis() {
      return sql.busServer;
    },
    set redis(server: RedisServer) {
      sql.busServer = server;
    },
  } as HarnessState;

  beforeEach(async () => {
    const owners = ownersStandIn();
    const { db, bus, service, connectBus } = await sql.setup(owners);
    // The test's own connection, apart from ordering's (which a test watches go down).
    const probe = await connectBus();
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
      payments: createPublisher({ redis: probe, service: 'accounts', stream: PAYMENTS_STREAM }),
      fulfillment: createPublisher({ redis: probe, service: 'fulfillment' }),
      basket: createPublisher({ redis: probe, service: 'basket' }),
      delivery: createPublisher({ redis: probe, service: 'delivery' }),
      catalog: createPublisher({ redis: probe, service: 'catalog' }),
      owners,
      async post(body, idempotencyKey) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
        const payload = typeof body === 'string' ? body : JSON.stringify(body);
        return reply(await service.app.inject({ method: 'POST', url: '/orders', headers, payload }));
      },
      async get(url) {
        return reply(await service.app.inject({ method: 'GET', url }));
      },
      orderingEvents: () => readEnvelopes(probe, 'ordering:events'),
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

  return state;
}

export const user = 'user-1';

export interface TestOrder {
  userId: string;
  items: Array<{ productId: string; quantity: number }>;
}

/** Two lines of products the harness's catalog knows; `pricedItems` is how ordering prices them. */
export function newOrder(overrides: Partial<TestOrder> = {}): TestOrder {
  return {
    userId: user,
    items: [
      { productId: 'prod-a', quantity: 2 },
      { productId: 'prod-b', quantity: 1 },
    ],
    ...overrides,
  };
}

/** The lines of `newOrder()` as ordering stores and publishes them (total 3 000). */
export const pricedItems = [
  { productId: 'prod-a', quantity: 2, unitPriceCents: 1_250 },
  { productId: 'prod-b', quantity: 1, unitPriceCents: 500 },
];
