import { OrderShipped } from '@tributary/contracts';
import { createPublisher, streamKeys, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox, type Outbox, type OutboxOptions, registerOutboxMetrics } from 'tributary/outbox';
import { createServiceConsumers, type ConsumerTuning, type Logger } from 'tributary/service';
import { installTables, sqlBatchHandlers, type SqlDatabase } from 'tributary/sql';
import { DEFAULT_WAREHOUSE } from './config.ts';
import type { GeoPoint } from './domain/dropoff.ts';
import { GROUP, type PackageContext } from './handlers/context.ts';
import { orderShippedHandler } from './handlers/order-shipped.ts';
import { packagesRoutes } from './routes/packages.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'package';

export type { ConsumerTuning };

export interface PackageDeps {
  db: SqlDatabase;
  /** The bus Redis: 'fulfillment:events' in, 'package:events' out. */
  bus: RedisClient;
  logger: Logger;
  /** Consumer name (config.instance); tests pass unique names. */
  instance: string;
  /** Where packages are picked up; default DEFAULT_WAREHOUSE (main.ts reads WAREHOUSE_LAT / WAREHOUSE_LON). */
  warehouse?: GeoPoint;
  consumerOptions?: ConsumerTuning;
  outboxOptions?: Pick<OutboxOptions, 'pollIntervalMs' | 'batchSize'>;
}

export interface PackageService {
  app: HttpApp;
  outbox: Outbox;
  close(): Promise<void>;
  /** The oldest entry its group may still be delivered (ms), for the handled-marker pruner. */
  unsettledSince(): Promise<number | null>;
}

/**
 * Builds package: its table, the outbox relay, the consumer of fulfillment's
 * events and the HTTP app (not listening). close() stops what it started;
 * the caller closes the database and the bus client it passed in.
 */
export async function startPackage(deps: PackageDeps): Promise<PackageService> {
  const { db, bus, logger } = deps;
  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher,
    ...deps.outboxOptions,
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed; will retry'),
  });
  await installTables(db, installSchema, outbox.install);

  const ctx: PackageContext = { db, outbox, publisher, logger, warehouse: deps.warehouse ?? DEFAULT_WAREHOUSE };
  // Readiness is the database only: with the bus down packages are still
  // readable and new ones wait in the outbox.
  const app = createHttpApp({ service: SERVICE, logger, readiness: { database: () => db.query('SELECT 1') }, database: db });
  registerOutboxMetrics(app.metricsRegistry, outbox);
  await app.register(packagesRoutes(ctx));

  const consumers = createServiceConsumers({ bus, group: GROUP, instance: deps.instance, logger, registry: app.metricsRegistry, tuning: deps.consumerOptions ?? {} });
  sqlBatchHandlers(consumers.consumer(streamKeys.events('fulfillment')), { outbox, group: GROUP }).onMany(OrderShipped, orderShippedHandler(ctx));
  outbox.start();
  try {
    await consumers.startAll();
    await app.ready();
  } catch (error) {
    await outbox.close();
    await app.close();
    throw error;
  }

  let closed = false;
  return {
    app,
    outbox,
    unsettledSince: () => consumers.unsettledSince(),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await consumers.closeAll();
      await outbox.close();
    },
  };
}
