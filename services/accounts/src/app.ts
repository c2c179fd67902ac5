import { OrderPlaced, PAYMENTS_STREAM, paymentEvents } from '@tributary/contracts';
import { createPublisher, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox, registerOutboxMetrics } from 'tributary/outbox';
import { createLogger, createServiceConsumers, type ConsumerTuning, type Logger } from 'tributary/service';
import { ensureHandledTable, installTables, type SqlDatabase } from 'tributary/sql';
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
  consumer?: ConsumerTuning;
  outboxPollIntervalMs?: number;
}

/**
 * Builds accounts: tables, outbox relay, the ordering-events consumer and the
 * HTTP app (not listening). close() stops what it started; the caller closes
 * the database and Redis it passed in.
 */
export async function startAccounts(deps: AccountsDeps): Promise<{ app: HttpApp; close(): Promise<void>; unsettledSince(): Promise<number | null> }> {
  const { db, bus } = deps;
  const logger = deps.logger ?? createLogger(SERVICE);
  const publisher = createPublisher({ redis: bus, service: SERVICE });
  // Payments on their own, trimmed stream; users stay on accounts:events, kept whole.
  const payments = createPublisher({ redis: bus, service: SERVICE, stream: PAYMENTS_STREAM });
  const outbox = createOutbox({
    db,
    publisher,
    routes: [{ publisher: payments, events: paymentEvents }],
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
  await app.register(async (scope) => userRoutes(scope, { db, outbox, publisher }));

  const consumers = createServiceConsumers({ bus, group: GROUP, instance: deps.instance, logger, registry: app.metricsRegistry, tuning: deps.consumer ?? {} });
  registerPaymentHandlers(consumers.consumer(OrderPlaced.stream), { db, outbox, publisher: payments, group: GROUP });

  outbox.start();
  await app.ready();
  await consumers.startAll();

  let closed = false;
  return {
    app,
    unsettledSince: () => consumers.unsettledSince(),
    async close() {
      if (closed) return;
      closed = true;
      await consumers.closeAll();
      await outbox.close();
      await app.close();
    },
  };
}
