import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { createPublisher, type Envelope, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { useBusAndStore } from 'tributary/testing/vitest';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { OrderAwaitingShipment, OrderShipped, ProductCreated, type ShipmentFailed } from '@tributary/contracts';
import type { EventData } from 'tributary';
import { startFulfillment, type ConsumerTuning } from '../src/app.ts';
import { fulfillmentKeys } from '../src/store/keys.ts';

type Running = Awaited<ReturnType<typeof startFulfillment>>;
export type OutcomeEvent = Envelope<EventData<typeof OrderShipped> | EventData<typeof ShipmentFailed>>;

export interface FulfillmentTestEnv {
  /** Streams only. */
  bus: RedisClient;
  /** The service's own data only: a different server, so nothing can depend on them being one. */
  store: RedisClient;
  catalog: Publisher;
  ordering: Publisher;
  /** Starts an instance (closed after the test). */
  start(options?: { instance?: string; consumer?: ConsumerTuning }): Promise<Running>;
  /** Publishes ProductCreated and waits until the instance's HTTP API knows the product. */
  createProduct(running: Running, product: { stock: number; bannedCountries?: string[]; productId?: string; digital?: boolean }): Promise<string>;
  order(items: Array<{ productId: string; quantity: number }>, country?: string, address?: string | null): Envelope<EventData<typeof OrderAwaitingShipment>>;
  /** Every event fulfillment published, in stream order. */
  outcomes(): Promise<OutcomeEvent[]>;
  /** Waits until fulfillment published at least `count` events. */
  waitForOutcomes(count: number, timeoutMs?: number): Promise<OutcomeEvent[]>;
  stock(productId: string): Promise<number>;
}

export function useFulfillment(): FulfillmentTestEnv {
  const redis = useBusAndStore<Running>();
  const logger = createLogger('fulfillment', process.env.TEST_LOG ?? 'silent');
  const env = {} as FulfillmentTestEnv;

  beforeAll(() => {
    env.bus = redis.bus;
    env.store = redis.store;
    env.catalog = createPublisher({ redis: env.bus, service: 'catalog' });
    env.ordering = createPublisher({ redis: env.bus, service: 'ordering' });
  });

  env.start = async (options = {}) => {
    const instance = await startFulfillment({
      bus: env.bus,
      store: env.store,
      logger,
      instance: options.instance ?? `fulfillment-test-${randomBytes(3).toString('hex')}`,
      consumer: { blockMs: 200, ...options.consumer },
    });
    return redis.track(instance);
  };

  env.createProduct = async (instance, product) => {
    const productId = product.productId ?? randomUUID();
    await env.catalog.publish(ProductCreated, {
      productId,
      sku: `SKU-${productId.slice(0, 8)}`,
      name: 'Haggis',
      priceCents: 1_250,
      stock: product.stock,
      bannedCountries: product.bannedCountries ?? [],
      ...(product.digital === undefined ? {} : { digital: product.digital }),
    });
    await waitFor(async () => (await instance.app.inject({ method: 'GET', url: `/stock/${productId}` })).statusCode === 200, {
      description: `product ${productId} known to fulfillment`,
    });
    return productId;
  };

  // Without an address argument the entry has no address field, as ordering wrote before it sent one.
  env.order = (items, country = 'GB', address) =>
    env.ordering.envelope(OrderAwaitingShipment, {
      orderId: randomUUID(), userId: randomUUID(), country, items, ...(address === undefined ? {} : { address }),
    });

  env.outcomes = async () => (await readEnvelopes(env.bus, OrderShipped.stream)) as Array<OutcomeEvent>;

  env.waitForOutcomes = (count, timeoutMs = 10_000) =>
    waitFor(async () => {
      const events = await env.outcomes();
      return events.length >= count ? events : null;
    }, { timeoutMs, description: `${count} fulfillment events` });

  env.stock = async (productId) => Number(await env.store.sendCommand(['HGET', fulfillmentKeys.product(productId), 'stock']));

  return env;
}
