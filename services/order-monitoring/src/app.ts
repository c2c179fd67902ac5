import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { OrderBlocked, OrderCompleted, OrderFailed, OrderPlaced } from '@tributary/contracts';
import { orderCompletedHandler } from './handlers/order-completed.ts';
import { orderFailedHandler } from './handlers/order-failed.ts';
import { orderPlacedHandler } from './handlers/order-placed.ts';
import { leaderboardRoutes } from './routes/leaderboards.ts';
import { orderFailureRoutes } from './routes/order-failures.ts';
import { regionRoutes } from './routes/regions.ts';
import { SERVICE } from './store/keys.ts';
import { createActiveActiveStore, type RegionsSetting } from './store/active-active.ts';
import { adoptLegacyRecentFailures, createFailureStore } from './store/failure-store.ts';
import { createOrderLeaderboards } from './store/leaderboards.ts';
import { createOrderLinesStore } from './store/order-lines-store.ts';

export type { ConsumerTuning };

export interface OrderMonitoringDeps {
  /** TTL of its handled-event markers (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;

  /** The bus Redis: streams only. */
  bus: RedisClient;
  /** The service's own Redis: the read model (failures, order lines, leaderboards) and its dedup markers. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  consumer?: ConsumerTuning;
  /**
   * Keep the leaderboards and failure counts Active/Active: this instance's
   * region and the store Redis of every other region (see
   * docs/kit/activeactive.md). Without it they live in this store alone.
   */
  regions?: RegionsSetting;
}

export async function startOrderMonitoring(deps: OrderMonitoringDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const group = SERVICE;
  const stream = streamKeys.events('ordering');
  const adopted = await adoptLegacyRecentFailures(deps.store);
  if (adopted > 0) deps.logger.info({ adopted }, 'moved the recent failures to their key since Redis Cluster support');
  const localFailures = createFailureStore(deps.store, deps.handledTtlSeconds);
  // Counters and leaderboards are looked at, not waited for: several events per read.
  const tuning = { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer };
  const { app, consumers, start } = createServiceShell({ service: SERVICE, bus: deps.bus, store: deps.store, logger: deps.logger, instance: deps.instance, tuning });
  const registry = app.metricsRegistry;
  const orderLines = createOrderLinesStore(deps.store);
  const activeActive = deps.regions ? createActiveActiveStore(deps.store, localFailures, deps.regions, deps.handledTtlSeconds) : undefined;
  const store = activeActive?.failures ?? localFailures;
  const boards = activeActive?.boards ?? createOrderLeaderboards(deps.store, { registry, handledTtlSeconds: deps.handledTtlSeconds });

  consumers
    .consumer(stream)
    .on(OrderBlocked, orderFailedHandler<typeof OrderBlocked>({ store, group }))
    .on(OrderFailed, orderFailedHandler<typeof OrderFailed>({ store, group }))
    // Keyed by order: an order's lines are kept before its completion reads them, while different
    // orders' round trips overlap (board increments commute; the failure list keeps stream order, unkeyed).
    .on(OrderPlaced, orderPlacedHandler({ orderLines }), { key: (event) => event.data.orderId })
    .on(OrderCompleted, orderCompletedHandler({ orderLines, boards, logger: deps.logger }), { key: (event) => event.data.orderId });

  await app.register(orderFailureRoutes({ store }));
  await app.register(leaderboardRoutes({ boards }));
  await app.register(regionRoutes({ region: deps.regions?.region ?? null, status: activeActive ? () => activeActive.status() : async () => [] }));
  // Closed the other way round: the consumer first (it finishes its in-flight handler), then HTTP, then the
  // replication from other regions; connections belong to the caller.
  return start([activeActive, 'http', 'consumers']);
}
