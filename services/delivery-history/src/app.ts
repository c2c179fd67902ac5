import { DeliveryStatusChanged } from '@tributary/contracts';
import { createPublisher, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox, registerOutboxMetrics } from 'tributary/outbox';
import { createLogger, createServiceConsumers, type ConsumerTuning, type Logger } from 'tributary/service';
import { ensureHandledTable, installTables, type SqlDatabase } from 'tributary/sql';
import { createArchiver, type Archiver } from './archiver.ts';
import { historyDefaults } from './config.ts';
import { registerStatusHandler } from './handlers/status-changed.ts';
import { openDuck } from './lake/duck.ts';
import { lakeLayout, type LakeLayout } from './lake/layout.ts';
import { createLakeWriter, type LakeWriter } from './lake/lake-writer.ts';
import { lakeMetrics } from './lake/metrics.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { archiveRoutes } from './routes/archive.ts';
import { historyRoutes } from './routes/history.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'delivery-history';
/** Consumer group = service name: all instances share delivery's events. */
export const GROUP = SERVICE;

export interface DeliveryHistoryDeps {
  db: SqlDatabase;
  /** The bus Redis (streams). The service keeps no data in Redis. */
  bus: RedisClient;
  /** Consumer name; unique per live instance, stable across its restarts. */
  instance: string;
  /** Root of the data lake (DELIVERY_LAKE_DIR). */
  lakeDir: string;
  logger?: Logger;
  consumer?: ConsumerTuning;
  outboxPollIntervalMs?: number;
  lakeFlushIntervalMs?: number;
  lakeBatchSize?: number;
  /** An unwritten batch claimed this long ago is redone (its writer is presumed dead). */
  lakeResumeAfterMs?: number;
  archiveDays?: number;
  /** null: no scheduled archiving (tests run it by hand). */
  archiveIntervalMs?: number | null;
}

export interface RunningDeliveryHistory {
  app: HttpApp;
  lake: LakeWriter;
  layout: LakeLayout;
  archiver: Archiver;
  close(): Promise<void>;
  /** The oldest entry its group may still be delivered (ms), for the handled-marker pruner. */
  unsettledSince(): Promise<number | null>;
}

/**
 * Builds delivery-history: tables, outbox relay, the delivery-events
 * consumer, the lake writer, the archiver schedule and the HTTP app (not
 * listening). close() stops what it started, DuckDB included; the caller
 * closes the database and Redis it passed in.
 */
export async function startDeliveryHistory(deps: DeliveryHistoryDeps): Promise<RunningDeliveryHistory> {
  const { db, bus } = deps;
  const logger = deps.logger ?? createLogger(SERVICE);
  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher,
    ...(deps.outboxPollIntervalMs === undefined ? {} : { pollIntervalMs: deps.outboxPollIntervalMs }),
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed, will retry'),
  });
  await installTables(db, ensureHandledTable, installSchema, outbox.install);

  const app = createHttpApp({
    service: SERVICE,
    logger,
    readiness: { database: () => db.query('SELECT 1'), bus: () => bus.ping() },
    database: db,
  });
  registerOutboxMetrics(app.metricsRegistry, outbox);
  const duck = await openDuck();
  const layout = lakeLayout(deps.lakeDir);
  const countWritten = lakeMetrics(app.metricsRegistry, db);
  const flushIntervalMs = deps.lakeFlushIntervalMs ?? historyDefaults.lakeFlushIntervalMs;
  const lake = createLakeWriter({
    db,
    duck,
    layout,
    batchSize: deps.lakeBatchSize ?? historyDefaults.lakeBatchSize,
    flushIntervalMs,
    ...(deps.lakeResumeAfterMs === undefined ? {} : { resumeAfterMs: deps.lakeResumeAfterMs }),
    registry: app.metricsRegistry,
    onError: (error) => logger.warn({ err: error }, 'lake write failed, the batch will be redone'),
    onWritten: (batch) => {
      countWritten(batch);
      logger.debug(batch, 'lake batch written');
    },
  });
  const archiver = createArchiver({ db, olderThanDays: deps.archiveDays ?? historyDefaults.archiveDays, logger, registry: app.metricsRegistry });

  await app.register(async (scope) => historyRoutes(scope, { db, duck, layout }));
  await app.register(async (scope) => analyticsRoutes(scope, { duck, layout }));
  await app.register(async (scope) => archiveRoutes(scope, { archiver }));

  const consumers = createServiceConsumers({ bus, group: GROUP, instance: deps.instance, logger, registry: app.metricsRegistry, tuning: deps.consumer ?? {} });
  registerStatusHandler(consumers.consumer(DeliveryStatusChanged.stream), { db, outbox, publisher, group: GROUP, onRecorded: () => lake.recorded() });

  outbox.start();
  lake.start();
  const archiveIntervalMs = deps.archiveIntervalMs === undefined ? historyDefaults.archiveIntervalMs : deps.archiveIntervalMs;
  // The first run soon after start-up: a service restarted more often than daily would otherwise never archive.
  if (archiveIntervalMs !== null) archiver.start({ intervalMs: archiveIntervalMs, firstDelayMs: Math.min(archiveIntervalMs, 10 * flushIntervalMs) });
  await app.ready();
  try {
    await consumers.startAll();
  } catch (error) {
    await Promise.allSettled([archiver.close(), lake.close(), outbox.close(), app.close()]);
    await duck.close();
    throw error;
  }

  let closed = false;
  return {
    app,
    lake,
    layout,
    archiver,
    unsettledSince: () => consumers.unsettledSince(),
    async close() {
      if (closed) return;
      closed = true;
      await consumers.closeAll();
      await archiver.close();
      await lake.close();
      await outbox.close();
      await app.close();
      await duck.close();
    },
  };
}
