import { OrderPlaced } from '@tributary/contracts';
import { createConsumer, createPublisher, type ConsumerOptions, type ConsumerReport, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox } from 'tributary/outbox';
import { consumerMetrics, createLogger, type Logger } from 'tributary/service';
import { ensureHandledTable, type SqlDatabase } from 'tributary/sql';
import { registerPaymentHandlers } from './handlers/payments.ts';
import { userRoutes } from './routes/users.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'accounts';
/** Consumer group = service name: all accounts instances share the ordering events. */
export const GROUP = SERVICE;

export interface AccountsDeps {
  db: SqlDatabase;
  /** The bus Redis (streams). Accounts keeps no data in Redis: money lives in SQL. */
  bus: RedisClient;
  /** Consumer name; unique per live instance, stable across its restarts. */
  instance: string;
  logger?: Logger;
  /** Tuning for tests (short blocks, few attempts); production uses the kit defaults. */
  consumer?: Partial<Pick<ConsumerOptions, 'blockMs' | 'claimIdleMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'batchSize'>>;
  outboxPollIntervalMs?: number;
}

type MetricsRegistry = Parameters<typeof consumerMetrics>[0];

/**
 * Builds accounts: tables, outbox relay, the ordering-events consumer and the
 * HTTP app (not listening). close() stops what it started; the caller closes
 * the database and Redis it passed in.
 */
export async function startAccounts(deps: AccountsDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const { db, bus } = deps;
  const logger = deps.logger ?? createLogger(SERVICE);
  await ensureHandledTable(db);
  await installSchema(db);

  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher,
    ...(deps.outboxPollIntervalMs === undefined ? {} : { pollIntervalMs: deps.outboxPollIntervalMs }),
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed, will retry'),
  });
  await outbox.install();

  const app = createHttpApp({
    service: SERVICE,
    logger,
    readiness: { database: () => db.query('SELECT 1'), bus: () => bus.ping() },
  });
  // createHttpApp decorates its prom-client registry without a declared type.
  const registry = (app as unknown as { metricsRegistry: MetricsRegistry }).metricsRegistry;
  await app.register(async (scope) => userRoutes(scope, { db, outbox, publisher }));

  const stream = OrderPlaced.stream;
  const metrics = consumerMetrics(registry, { stream, group: GROUP });
  const consumer = registerPaymentHandlers(
    createConsumer({
      ...deps.consumer,
      redis: bus,
      stream,
      group: GROUP,
      consumer: deps.instance,
      onReport: (report: ConsumerReport) => {
        metrics(report);
        if (report.kind === 'retry') logger.warn({ type: report.type, entryId: report.entryId, attempt: report.attempt, err: report.error }, 'handler failed, will retry');
        else if (report.kind === 'dead-lettered') logger.warn({ type: report.type, entryId: report.entryId, reason: report.reason }, 'event dead-lettered');
        else if (report.kind === 'loop-error') logger.warn({ err: report.error }, 'consumer loop error');
      },
    }),
    { db, outbox, publisher, group: GROUP },
  );

  outbox.start();
  await app.ready();
  await consumer.start();

  let closed = false;
  return {
    app,
    async close() {
      if (closed) return;
      closed = true;
      await consumer.close();
      await outbox.close();
      await app.close();
    },
  };
}
