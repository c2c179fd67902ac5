import { OrderShipped } from '@tributary/contracts';
import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { Outbox, OutboxOptions } from 'tributary/outbox';
import { createSqlServiceShell, type ConsumerTuning, type Logger, type StartedService } from 'tributary/service';
import { sqlBatchHandlers, type SqlDatabase } from 'tributary/sql';
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

export interface PackageService extends StartedService {
  outbox: Outbox;
}

/**
 * Builds package: its table, the outbox relay, the consumer of fulfillment's
 * events and the HTTP app (not listening). close() stops what it started;
 * the caller closes the database and the bus client it passed in.
 */
export async function startPackage(deps: PackageDeps): Promise<PackageService> {
  const { db, bus, logger } = deps;
  const { app, consumers, outbox, publisher, start } = await createSqlServiceShell({
    service: SERVICE,
    group: GROUP,
    db,
    bus,
    logger,
    instance: deps.instance,
    // A parcel is made after its order completed, off the order's path: several per transaction.
    tuning: { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumerOptions },
    tables: [installSchema],
    outbox: deps.outboxOptions,
    // With the bus down packages are still readable and new ones wait in the outbox.
    readyWithoutBus: true,
  });
  const ctx: PackageContext = { db, outbox, publisher, logger, warehouse: deps.warehouse ?? DEFAULT_WAREHOUSE };
  await app.register(packagesRoutes(ctx));
  sqlBatchHandlers(consumers.consumer(streamKeys.events('fulfillment')), { outbox, group: GROUP }).onMany(OrderShipped, orderShippedHandler(ctx));
  // Closed the other way round: HTTP first, then the consumers, then the relay.
  return { ...(await start(['outbox', 'consumers', 'http'])), outbox };
}
