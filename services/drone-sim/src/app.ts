import { BACKGROUND_LINGER_MS, streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import { Counter, Gauge } from 'prom-client';
import { DeliveryScheduled, DeliveryStatusChanged } from '@tributary/contracts';
import { droneSimDefaults, stepSeconds, validateDroneSimConfig, type DroneSimConfig } from './config.ts';
import { createFleet, type Fleet, type FleetSnapshot } from './domain/fleet.ts';
import { deliveryFailedHandler, deliveryScheduledHandler } from './handlers/delivery-scheduled.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { createSimulator, type FlightCause } from './simulator.ts';

export const SERVICE = 'drone-sim';

export type { ConsumerTuning, DroneSimConfig };

export interface DroneSimDeps {
  /** The bus Redis: 'delivery:events' in, 'drone-sim:events' out. drone-sim keeps no store. */
  bus: RedisClient;
  logger: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance: string;
  /** Defaults to droneSimDefaults field by field; main.ts reads it from the environment. */
  config?: Partial<DroneSimConfig>;
  consumer?: ConsumerTuning;
}

export interface DroneSim {
  app: HttpApp;
  /** What /fleet answers, for tests that watch the drones directly. */
  fleet(): FleetSnapshot;
  close(): Promise<void>;
}

function fleetMetrics(app: HttpApp, fleet: Fleet<FlightCause>) {
  const registers = [app.metricsRegistry];
  new Gauge({
    name: 'drone_sim_drones_busy', help: 'Drones flying a delivery', registers,
    collect() {
      this.set(fleet.snapshot().drones.filter((drone) => drone.busy).length);
    },
  });
  new Gauge({
    name: 'drone_sim_jobs_queued', help: 'Deliveries waiting for a free drone', registers,
    collect() {
      this.set(fleet.snapshot().queued);
    },
  });
  return {
    readings: new Counter({ name: 'drone_sim_readings_total', help: 'Telemetry readings written to the bus', registers }),
    refused: new Counter({ name: 'drone_sim_jobs_refused_total', help: 'Deliveries refused because every drone was busy and the queue full', registers }),
  };
}

/**
 * Builds drone-sim: the fleet, its clock, the consumer of delivery's events
 * and the HTTP app (not listening). close() stops what it started; the caller
 * closes the bus client it passed in.
 */
export async function startDroneSim(deps: DroneSimDeps): Promise<DroneSim> {
  const config = validateDroneSimConfig({ ...droneSimDefaults, ...deps.config });
  const { bus, logger } = deps;
  const fleet = createFleet<FlightCause>({
    size: config.fleetSize,
    idPrefix: config.idPrefix,
    speedMps: config.speedMps,
    stepSeconds: stepSeconds(config),
    failureRate: config.failureRate,
    seed: config.seed,
    seenLimit: config.seenLimit,
    queueLimit: config.queuePerDrone * config.fleetSize,
  });
  const { app, consumers, publisher, start } = createServiceShell({ service: SERVICE, bus, logger, instance: deps.instance, tuning: { lingerMs: BACKGROUND_LINGER_MS, ...deps.consumer } });
  const { readings, refused } = fleetMetrics(app, fleet);
  const simulator = createSimulator({ fleet, publisher, tickMs: config.tickMs, logger, onPublished: (count) => readings.inc(count) });
  await app.register(fleetRoutes({ snapshot: () => fleet.snapshot() }));

  consumers
    .consumer(streamKeys.events('delivery'))
    .on(DeliveryScheduled, deliveryScheduledHandler({ fleet, logger, onRefused: () => refused.inc() }))
    .on(DeliveryStatusChanged, deliveryFailedHandler({ fleet, logger }));
  // Closed the other way round: consumers first (no job arrives after), then the clock, then HTTP.
  return { ...(await start(['http', simulator, 'consumers'])), fleet: () => fleet.snapshot() };
}
