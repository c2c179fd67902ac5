import { SAGA_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { OrderAwaitingShipment, ProductCreated } from '@tributary/contracts';
import { orderAwaitingShipmentHandler } from './handlers/order-awaiting-shipment.ts';
import { productCreatedHandler } from './handlers/product-created.ts';
import { stockRoutes } from './routes/stock.ts';
import { SERVICE } from './store/keys.ts';
import { createStockStore, legacyMarkersLeft } from './store/stock-store.ts';

export type { ConsumerTuning };

export interface FulfillmentDeps {
  /** TTL of its handled-event markers (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;

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
export const fulfillmentConsumerDefaults = { maxAttempts: 10, backoffBaseMs: 100, backoffMaxMs: 5_000, lingerMs: SAGA_LINGER_MS } satisfies ConsumerTuning;

export async function startFulfillment(deps: FulfillmentDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const group = SERVICE;
  const legacyMarkers = await legacyMarkersLeft(deps.store);
  if (legacyMarkers) deps.logger.info('outcome markers of the layout before Cluster support are left: orders look there first until they expire');
  const store = createStockStore(deps.store, deps.handledTtlSeconds, { legacyMarkers });
  const { app, consumers, publisher, start } = createServiceShell({
    service: SERVICE,
    bus: deps.bus,
    store: deps.store,
    logger: deps.logger,
    instance: deps.instance,
    tuning: { ...fulfillmentConsumerDefaults, ...deps.consumer },
  });
  consumers.consumer(streamKeys.events('catalog')).on(ProductCreated, productCreatedHandler({ store, group }));
  // Keyed by order: each order's script and publish overlap with other orders' (one order's events stay in
  // order). Stock stays exact (each hold is one script); two orders after the last units of a product in
  // one read may be decided in either order.
  consumers
    .consumer(streamKeys.events('ordering'))
    .on(OrderAwaitingShipment, orderAwaitingShipmentHandler({ store, publisher, group }), { key: (event) => event.data.orderId });
  await app.register(stockRoutes({ store }));
  // Closed the other way round: consumers first (they finish in-flight handlers), then HTTP; connections belong to the caller.
  return start(['http', 'consumers']);
}
