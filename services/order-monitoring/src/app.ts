import { createConsumer, streamKeys, type ConsumerOptions, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { consumerMetrics, type Logger } from 'tributary/service';
import { OrderBlocked, OrderFailed } from '@tributary/contracts';
import { orderFailedHandler } from './handlers/order-failed.ts';
import { orderFailureRoutes } from './routes/order-failures.ts';
import { SERVICE } from './store/keys.ts';
import { createFailureStore } from './store/failure-store.ts';

export type ConsumerTuning = Partial<Pick<ConsumerOptions, 'batchSize' | 'blockMs' | 'claimIdleMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs'>>;

export interface OrderMonitoringDeps {
  /** The bus Redis: streams only. */
  bus: RedisClient;
  /** The service's own Redis: the read model and its dedup markers. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  consumer?: ConsumerTuning;
}

type MetricsRegistry = Parameters<typeof consumerMetrics>[0];

export async function startOrderMonitoring(deps: OrderMonitoringDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const group = SERVICE;
  const stream = streamKeys.events('ordering');
  const store = createFailureStore(deps.store);
  const app = createHttpApp({
    service: SERVICE,
    logger: deps.logger,
    readiness: { bus: () => deps.bus.ping(), store: () => deps.store.ping() },
  });
  // createHttpApp decorates its registry (with default metrics) untyped.
  const metrics = consumerMetrics((app as unknown as { metricsRegistry: MetricsRegistry }).metricsRegistry, { stream, group });

  const consumer = createConsumer({
    ...deps.consumer,
    redis: deps.bus,
    stream,
    group,
    consumer: deps.instance,
    onReport: (report) => {
      metrics(report);
      if (report.kind === 'retry') {
        deps.logger.warn({ stream, entryId: report.entryId, type: report.type, attempt: report.attempt, delayMs: report.delayMs, err: report.error }, 'handler failed, will retry');
      } else if (report.kind === 'dead-lettered') {
        deps.logger.warn({ stream, entryId: report.entryId, type: report.type, reason: report.reason }, 'entry dead-lettered');
      } else if (report.kind === 'loop-error') {
        deps.logger.warn({ stream, err: report.error }, 'consumer loop error');
      }
    },
  })
    .on(OrderBlocked, orderFailedHandler<typeof OrderBlocked>({ store, group }))
    .on(OrderFailed, orderFailedHandler<typeof OrderFailed>({ store, group }));

  await app.register(orderFailureRoutes({ store }));
  await app.ready();
  try {
    await consumer.start();
  } catch (error) {
    await app.close();
    throw error;
  }

  return {
    app,
    // The consumer first (it finishes its in-flight handler), then HTTP; connections belong to the caller.
    async close() {
      await consumer.close();
      await app.close();
    },
  };
}
