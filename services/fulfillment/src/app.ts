import { createConsumer, createPublisher, streamKeys, type Consumer, type ConsumerOptions, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { consumerMetrics, type Logger } from 'tributary/service';
import { OrderAwaitingShipment, ProductCreated } from '@tributary/contracts';
import { orderAwaitingShipmentHandler } from './handlers/order-awaiting-shipment.ts';
import { productCreatedHandler } from './handlers/product-created.ts';
import { stockRoutes } from './routes/stock.ts';
import { SERVICE } from './store/keys.ts';
import { createStockStore } from './store/stock-store.ts';

export type ConsumerTuning = Partial<Pick<ConsumerOptions, 'batchSize' | 'blockMs' | 'claimIdleMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs'>>;

export interface FulfillmentDeps {
  /** The bus Redis: streams only. */
  bus: RedisClient;
  /** The service's own Redis: stock, shipping rules, dedup markers. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  consumer?: ConsumerTuning;
}

/**
 * An order can reach fulfillment before the ProductCreated of one of its
 * products (two streams, no ordering between them). More attempts than the
 * kit's default give that event about twenty seconds to arrive before the
 * order is dead-lettered.
 */
export const fulfillmentConsumerDefaults = { maxAttempts: 10, backoffBaseMs: 100, backoffMaxMs: 5_000 } satisfies ConsumerTuning;

type MetricsRegistry = Parameters<typeof consumerMetrics>[0];

export async function startFulfillment(deps: FulfillmentDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const group = SERVICE;
  const store = createStockStore(deps.store);
  const publisher = createPublisher({ redis: deps.bus, service: SERVICE });
  const app = createHttpApp({
    service: SERVICE,
    logger: deps.logger,
    readiness: { bus: () => deps.bus.ping(), store: () => deps.store.ping() },
  });
  // createHttpApp decorates its registry (with default metrics) untyped.
  const registry = (app as unknown as { metricsRegistry: MetricsRegistry }).metricsRegistry;

  const consumerFor = (stream: string): Consumer => {
    const metrics = consumerMetrics(registry, { stream, group });
    return createConsumer({
      ...fulfillmentConsumerDefaults,
      ...deps.consumer,
      redis: deps.bus,
      stream,
      group,
      consumer: deps.instance,
      onReport: (report) => {
        metrics(report);
        if (report.kind === 'retry') {
          deps.logger.warn({ stream, entryId: report.entryId, type: report.type, attempt: report.attempt, delayMs: report.delayMs, err: report.error }, 'handler failed, will retry');
        } else if (report.kind === 'dead-lettered') {
          deps.logger.warn({ stream, entryId: report.entryId, type: report.type, reason: report.reason }, 'entry dead-lettered');
        } else if (report.kind === 'loop-error') {
          deps.logger.warn({ stream, err: report.error }, 'consumer loop error');
        }
      },
    });
  };

  const consumers = [
    consumerFor(streamKeys.events('catalog')).on(ProductCreated, productCreatedHandler({ store, group })),
    consumerFor(streamKeys.events('ordering')).on(OrderAwaitingShipment, orderAwaitingShipmentHandler({ store, publisher, group })),
  ];
  await app.register(stockRoutes({ store }));
  await app.ready();
  const started: Consumer[] = [];
  try {
    for (const consumer of consumers) {
      await consumer.start();
      started.push(consumer);
    }
  } catch (error) {
    await Promise.all(started.map((consumer) => consumer.close()));
    await app.close();
    throw error;
  }

  return {
    app,
    // Consumers first (they finish in-flight handlers), then HTTP; connections belong to the caller.
    async close() {
      await Promise.all(consumers.map((consumer) => consumer.close()));
      await app.close();
    },
  };
}
