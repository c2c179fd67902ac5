import { DeliveryStatusChanged } from '@tributary/contracts';
import { BACKGROUND_LINGER_MS, type RedisClient } from 'tributary';
import { createSqlServiceShell, type ConsumerTuning, type Logger, type StartedService } from 'tributary/service';
import { ensureHandledTable, type SqlDatabase } from 'tributary/sql';
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

export interface RunningDeliveryHistory extends StartedService {
  lake: LakeWriter;
  layout: LakeLayout;
  archiver: Archiver;
}

/**
 * Builds delivery-history: tables, outbox relay, the delivery-events
 * consumer, the lake writer, the archiver schedule and the HTTP app (not
 * listening). close() stops what it started, DuckDB included; the caller
 * closes the database and Redis it passed in.
 */
export async function startDeliveryHistory(deps: DeliveryHistoryDeps): Promise<RunningDeliveryHistory> {
  const { db, bus } = deps;
  const { app, consumers, outbox, publisher, logger, start } = await createSqlServiceShell({
    service: SERVICE,
    group: GROUP,
    db,
    bus,
    logger: deps.logger,
    instance: deps.instance,
    // The history and the lake are read later: several delivery steps per transaction.
    tuning: { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer },
    tables: [ensureHandledTable, installSchema],
    outbox: { pollIntervalMs: deps.outboxPollIntervalMs },
  });
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

  registerStatusHandler(consumers.consumer(DeliveryStatusChanged.stream), { db, outbox, publisher, group: GROUP, onRecorded: () => lake.recorded() });

  const archiveIntervalMs = deps.archiveIntervalMs === undefined ? historyDefaults.archiveIntervalMs : deps.archiveIntervalMs;
  const archiving = {
    start() {
      // The first run soon after start-up: a service restarted more often than daily would otherwise never archive.
      if (archiveIntervalMs !== null) archiver.start({ intervalMs: archiveIntervalMs, firstDelayMs: Math.min(archiveIntervalMs, 10 * flushIntervalMs) });
    },
    close: () => archiver.close(),
  };
  // Closed the other way round: consumers, archiver, lake writer, relay, HTTP, then DuckDB.
  const started = await start([{ close: () => duck.close() }, 'http', 'outbox', lake, archiving, 'consumers']);
  return { ...started, lake, layout, archiver };
}
