import { createPublisher, type ConsumerReport, type Publisher, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox, type Outbox, type OutboxOptions } from 'tributary/outbox';
import { consumerMetrics, type Logger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import type { ConsumerDeps } from './handlers/consumers.ts';
import { createOrderingConsumers } from './handlers/consumers.ts';
import { GROUP, type OrderingContext } from './handlers/context.ts';
import { ordersRoutes } from './routes/orders.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'ordering';

export interface OrderingDeps {
  db: SqlDatabase;
  /** The bus Redis: the streams ordering reads and its own 'ordering:events'. */
  bus: RedisClient;
  logger: Logger;
  /** Consumer name (config.instance); tests pass unique names. */
  instance: string;
  consumerOptions?: ConsumerDeps['options'];
  outboxOptions?: Pick<OutboxOptions, 'pollIntervalMs' | 'batchSize'>;
}

export interface OrderingService {
  app: HttpApp;
  outbox: Outbox;
  close(): Promise<void>;
}

type MetricsRegistry = Parameters<typeof consumerMetrics>[0];

/**
 * The outbox relay publishes inside a database transaction. node-redis queues
 * commands while it reconnects, so a publish to a Redis that is down would
 * hold that transaction open until Redis returns, and on PGlite (one
 * connection) every other statement would wait behind it: no order could be
 * placed. Failing fast instead lets the transaction roll back; the rows stay
 * in the outbox and the relay retries with backoff.
 */
function failFastPublisher(publisher: Publisher, bus: RedisClient): Publisher {
  return {
    ...publisher,
    async publishEnvelopes(envelopes) {
      if (!bus.isReady) throw new Error('bus Redis is not connected; the outbox keeps the events until it is');
      return publisher.publishEnvelopes(envelopes);
    },
  };
}

export async function startOrdering(deps: OrderingDeps): Promise<OrderingService> {
  const { db, bus, logger } = deps;
  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher: failFastPublisher(publisher, bus),
    ...deps.outboxOptions,
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed; will retry'),
  });
  await installSchema(db);
  await outbox.install();

  const ctx: OrderingContext = { db, outbox, publisher, logger };
  // Readiness is the database only: with the bus down orders are still
  // accepted (the outbox holds their events), so the instance stays in service.
  const app = createHttpApp({ service: SERVICE, logger, readiness: { database: () => db.query('SELECT 1') } });
  const registry = app.getDecorator<MetricsRegistry>('metricsRegistry');
  const onReport = (stream: string) => {
    const metrics = consumerMetrics(registry, { stream, group: GROUP });
    return (report: ConsumerReport) => {
      metrics(report);
      if (report.kind === 'retry') logger.warn({ stream, type: report.type, entryId: report.entryId, attempt: report.attempt, err: report.error }, 'handler failed; will retry');
      else if (report.kind === 'dead-lettered') logger.warn({ stream, type: report.type, entryId: report.entryId, reason: report.reason }, 'event dead-lettered');
      else if (report.kind === 'loop-error') logger.warn({ stream, err: report.error }, 'consumer loop error');
    };
  };
  await app.register(ordersRoutes(ctx));

  const consumers = createOrderingConsumers(ctx, { bus, instance: deps.instance, onReport, options: deps.consumerOptions });
  outbox.start();
  try {
    for (const consumer of consumers) await consumer.start();
  } catch (error) {
    await Promise.all(consumers.map((consumer) => consumer.close()));
    await outbox.close();
    throw error;
  }
  await app.ready();

  return {
    app,
    outbox,
    async close() {
      await app.close();
      await Promise.all(consumers.map((consumer) => consumer.close()));
      await outbox.close();
    },
  };
}
