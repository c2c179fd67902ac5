import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createPubSubPublisher } from 'tributary/pubsub';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { Counter, Gauge } from 'prom-client';
import { DeliveryRecorded, DroneTelemetry, PackageCreated } from '@tributary/contracts';
import { deliveryRecordedHandler } from './handlers/delivery-recorded.ts';
import { packageCreatedHandler } from './handlers/package-created.ts';
import { telemetryHandlers } from './handlers/telemetry.ts';
import { createSilenceWatchdog, watchdogDefaults, type SilenceWatchdog, type WatchdogOptions } from './handlers/watchdog.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { droneRoutes } from './routes/drones.ts';
import { queueRoutes } from './routes/queue.ts';
import { deliverySettingsDefaults } from './settings.ts';
import { createDeliveryStore } from './store/deliveries.ts';
import { createFleetStore } from './store/fleet.ts';
import { SERVICE } from './store/keys.ts';

export type { ConsumerTuning };

/** Telemetry is read in bigger batches than other events: each read becomes one pipeline. */
export const telemetryConsumerDefaults = { batchSize: 500 } satisfies ConsumerTuning;

export interface DeliveryDeps {
  /** The bus Redis: streams, and the DronePositions pub/sub channel. */
  bus: RedisClient;
  /** The service's own Redis: deliveries in flight and the fleet indexes. */
  store: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  /** For every consumer of the service. */
  consumer?: ConsumerTuning;
  /** For the `drone-sim:events` consumer, over `consumer`. */
  telemetryConsumer?: ConsumerTuning;
  watchdog?: Partial<WatchdogOptions>;
  retentionSeconds?: number;
  /** How long a delivery's scheduled marker is kept, so a redelivered PackageCreated schedules nothing (HANDLED_MARKER_RETENTION_MS in seconds, see docs/operations.md); default 7 days. */
  handledTtlSeconds?: number;
  /**
   * `pipelined` (the default) hands every reading of a read to one call
   * that pipelines its writes; `one-by-one` handles them one at a time. Only
   * the telemetry benchmark uses the second, to show what the first buys.
   */
  telemetryIngest?: 'pipelined' | 'one-by-one';
}

export interface DeliveryService {
  app: HttpApp;
  watchdog: SilenceWatchdog;
  close(): Promise<void>;
}

export async function startDelivery(deps: DeliveryDeps): Promise<DeliveryService> {
  const retentionSeconds = deps.retentionSeconds ?? deliverySettingsDefaults.retentionSeconds;
  if (!Number.isSafeInteger(retentionSeconds) || retentionSeconds < 1) throw new Error(`retention must be a positive whole number of seconds, got ${retentionSeconds}`);
  const watchdogOptions = { ...watchdogDefaults, ...deps.watchdog };
  const rule = { silenceTimeoutMs: watchdogOptions.timeoutMs, droneWaitTimeoutMs: watchdogOptions.waitingTimeoutMs };
  const deliveries = createDeliveryStore(deps.store, deps.handledTtlSeconds);
  const fleet = createFleetStore(deps.store, rule);
  const { app, consumers, publisher, start } = createServiceShell({ service: SERVICE, bus: deps.bus, store: deps.store, logger: deps.logger, instance: deps.instance, tuning: { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer } });
  const positions = createPubSubPublisher({ redis: deps.bus, registry: app.metricsRegistry });
  const readings = new Counter({
    name: 'delivery_telemetry_readings_total',
    help: 'Drone readings by outcome: applied, stale (late, repeated or backwards: dropped), unknown (no such delivery: dropped)',
    labelNames: ['outcome'],
    registers: [app.metricsRegistry],
  });
  const telemetry = telemetryHandlers({ deliveries, fleet, publisher, positions, logger: deps.logger, count: (outcome) => readings.inc({ outcome }) });
  const watchdog = createSilenceWatchdog({ deliveries, fleet, publisher, logger: deps.logger, options: watchdogOptions, registry: app.metricsRegistry });
  // Read at scrape time: two O(log n) commands, whatever the queue holds.
  new Gauge({
    name: 'delivery_queue_waiting',
    help: 'Deliveries waiting for a drone (no drone has reported on them yet)',
    registers: [app.metricsRegistry],
    async collect() {
      this.set((await fleet.queue()).waiting);
    },
  });
  new Gauge({
    name: 'delivery_queue_oldest_wait_seconds',
    help: 'How long the oldest delivery waiting for a drone has waited (0 when none waits)',
    registers: [app.metricsRegistry],
    async collect() {
      const { oldestCreatedAtMs } = await fleet.queue();
      this.set(oldestCreatedAtMs === null ? 0 : Math.max(0, Date.now() - oldestCreatedAtMs) / 1_000);
    },
  });

  // Keyed: each package's few round trips (create, sync, publish, mark) overlap with other packages'; one package's events stay in order.
  consumers.consumer(streamKeys.events('package')).on(PackageCreated, packageCreatedHandler({ deliveries, fleet, publisher }), { key: (event) => event.data.packageId });
  const drones = consumers.consumer(streamKeys.events('drone-sim'), { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer, ...telemetryConsumerDefaults, ...deps.telemetryConsumer });
  if (deps.telemetryIngest === 'one-by-one') drones.on(DroneTelemetry, telemetry.single);
  else drones.onBatch(DroneTelemetry, telemetry.batch);
  consumers
    .consumer(streamKeys.events('delivery-history'))
    .on(DeliveryRecorded, deliveryRecordedHandler({ deliveries, retentionSeconds, logger: deps.logger }), { key: (event) => event.data.deliveryId });

  await app.register(queueRoutes({ fleet, waitLimitMs: rule.droneWaitTimeoutMs }));
  await app.register(deliveryRoutes({ deliveries }));
  await app.register(droneRoutes({ fleet }));
  const adoptLegacyIndex = async () => {
    const adopted = await fleet.adoptLegacyIndex();
    if (adopted > 0) deps.logger.info({ adopted }, 'deliveries of the last-heard index adopted into the deadline index');
  };
  // Closed the other way round: watchdog and consumers first (they finish in-flight work), then HTTP; connections belong to the caller.
  return { ...(await start(['http', { start: adoptLegacyIndex }, 'consumers', watchdog])), watchdog };
}
