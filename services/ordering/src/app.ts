import { SAGA_LINGER_MS, type RedisClient } from 'tributary';
import type { Outbox, OutboxOptions } from 'tributary/outbox';
import { createSqlServiceShell, type ConsumerTuning, type Logger, type StartedService } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
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

export interface OrderingService extends StartedService {
  outbox: Outbox;
}

export async function startOrdering(deps: OrderingDeps): Promise<OrderingService> {
  const { db, bus, logger } = deps;
  const { app, consumers, outbox, publisher, start } = await createSqlServiceShell({
    service: SERVICE,
    group: GROUP,
    db,
    bus,
    logger,
    instance: deps.instance,
    tuning: { lingerMs: SAGA_LINGER_MS, ...deps.consumerOptions },
    tables: [installSchema],
    outbox: deps.outboxOptions,
    // With the bus down orders are still accepted (the outbox holds their events), so the instance stays in service.
    readyWithoutBus: true,
  });
  const ctx: OrderingContext = { db, outbox, publisher, logger, watch: createOrderWatch() };
  await app.register(ordersRoutes(ctx, deps.owners ?? null));
  const stuckAfterMs = deps.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  await app.register(stuckOrdersRoutes(ctx, stuckAfterMs));
  registerStuckMetrics(app.metricsRegistry, db, stuckAfterMs);

  registerOrderingHandlers(ctx, consumers);
  // Closed the other way round: HTTP first (no new order), then the consumers, then the relay.
  return { ...(await start(['outbox', 'consumers', 'http'])), outbox };
}
