import { createPublisher, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox, type Outbox, type OutboxOptions, registerOutboxMetrics } from 'tributary/outbox';
import { createServiceConsumers, type ConsumerTuning, type Logger } from 'tributary/service';
import { installTables, type SqlDatabase } from 'tributary/sql';
import { registerOrderingHandlers } from './handlers/consumers.ts';
import { GROUP, type OrderingContext } from './handlers/context.ts';
import type { OwnerLookups } from './owner-lookups.ts';
import { ordersRoutes } from './routes/orders.ts';
import { installSchema } from './store/schema.ts';
import { createOrderWatch } from './order-watch.ts';
import { DEFAULT_STUCK_AFTER_MS, registerStuckMetrics, stuckOrdersRoutes } from './stuck.ts';

export const SERVICE = 'ordering';

export interface OrderingDeps {
  db: SqlDatabase;
  /** The bus Redis: the streams ordering reads and its own 'ordering:events'. */
  bus: RedisClient;
  logger: Logger;
  /** Consumer name (config.instance); tests pass unique names. */
  instance: string;
  consumerOptions?: ConsumerTuning;
  outboxOptions?: Pick<OutboxOptions, 'pollIntervalMs' | 'batchSize'>;
  /** Asked when an order names a user or product ordering has no copy of yet; without it such an order is 422. */
  owners?: OwnerLookups;
  /** An open order unchanged this long is stuck (ORDER_STUCK_AFTER_MS; see stuck.ts). */
  stuckAfterMs?: number;
}

export interface OrderingService {
  app: HttpApp;
  outbox: Outbox;
  close(): Promise<void>;
  /** The oldest entry its group may still be delivered (ms), for the handled-marker pruner. */
  unsettledSince(): Promise<number | null>;
}

export async function startOrdering(deps: OrderingDeps): Promise<OrderingService> {
  const { db, bus, logger } = deps;
  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher,
    ...deps.outboxOptions,
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed; will retry'),
  });
  await installTables(db, installSchema, outbox.install);

  const ctx: OrderingContext = { db, outbox, publisher, logger, watch: createOrderWatch() };
  // Readiness is the database only: with the bus down orders are still
  // accepted (the outbox holds their events), so the instance stays in service.
  const app = createHttpApp({ service: SERVICE, logger, readiness: { database: () => db.query('SELECT 1') }, database: db });
  registerOutboxMetrics(app.metricsRegistry, outbox);
  await app.register(ordersRoutes(ctx, deps.owners ?? null));
  const stuckAfterMs = deps.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  await app.register(stuckOrdersRoutes(ctx, stuckAfterMs));
  registerStuckMetrics(app.metricsRegistry, db, stuckAfterMs);

  const consumers = createServiceConsumers({ bus, group: GROUP, instance: deps.instance, logger, registry: app.metricsRegistry, tuning: deps.consumerOptions ?? {} });
  registerOrderingHandlers(ctx, consumers);
  outbox.start();
  try {
    await consumers.startAll();
  } catch (error) {
    await outbox.close();
    throw error;
  }
  await app.ready();

  return {
    app,
    outbox,
    unsettledSince: () => consumers.unsettledSince(),
    async close() {
      await app.close();
      await consumers.closeAll();
      await outbox.close();
    },
  };
}
