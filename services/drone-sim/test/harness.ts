import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { connectRedis, createPublisher, deriveEventId, groupsOf, type Envelope, type EventData, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { flushRedis, readEnvelopes, type RedisServer, startRedisServer, waitFor } from 'tributary/testing';
import { DeliveryScheduled, DroneTelemetry } from '@tributary/contracts';
import { startDroneSim, type DroneSim, type DroneSimConfig } from '../src/app.ts';
import { telemetryEventId } from '../src/simulator.ts';

export type Reading = Envelope<EventData<typeof DroneTelemetry>>;
export type Scheduled = Envelope<EventData<typeof DeliveryScheduled>>;

export const WAREHOUSE = { lat: 51.5072, lon: -0.1276 };

/** Fast enough for tests: 20 ms ticks, 200x time, so a reading every 4 simulated seconds (80 m). */
export const TEST_FLEET: Partial<DroneSimConfig> = { tickMs: 20, timeScale: 200, failureRate: 0 };

export interface DroneSimTestEnv {
  bus: RedisClient;
  server: RedisServer;
  /** Publishes as `delivery`, as the real delivery service does. */
  delivery: Publisher;
  start(config?: Partial<DroneSimConfig>): Promise<DroneSim>;
  /** A DeliveryScheduled for delivery number `n` of `label` (same label and n, same ids), dropoff 1-3 km away. */
  scheduled(label: string, n: number): Scheduled;
  schedule(label: string, n: number): Promise<Scheduled>;
  /** Every reading drone-sim wrote, in stream order, each checked against the contract. */
  telemetry(): Promise<Reading[]>;
  /** True once drone-sim's group has read and acked every DeliveryScheduled. */
  acked(): Promise<boolean>;
  /** Waits until the fleet is idle with nothing queued and every DeliveryScheduled was acked. */
  settled(sim: DroneSim, timeoutMs?: number): Promise<void>;
}

export function useDroneSim(): DroneSimTestEnv {
  const logger = createLogger('drone-sim', process.env.TEST_LOG ?? 'silent');
  let running: DroneSim[] = [];
  const env = {} as DroneSimTestEnv;

  beforeAll(async () => {
    env.server = await startRedisServer();
    env.bus = await connectRedis(env.server.url);
    env.delivery = createPublisher({ redis: env.bus, service: 'delivery' });
  });
  beforeEach(async () => {
    await flushRedis(env.bus);
  });
  afterEach(async () => {
    const closing = running;
    running = [];
    await Promise.all(closing.map((sim) => sim.close()));
  });
  afterAll(async () => {
    await env.bus?.close();
    await env.server?.stop();
  });

  env.start = async (config = {}) => {
    const sim = await startDroneSim({
      bus: env.bus,
      logger,
      instance: `drone-sim-test-${randomBytes(3).toString('hex')}`,
      config: { ...TEST_FLEET, ...config },
      consumer: { blockMs: 100 },
    });
    running.push(sim);
    return sim;
  };

  env.scheduled = (label, n) => {
    const packageId = deriveEventId(`${label}-${n}`, 'package');
    const angle = (n * 137.5 * Math.PI) / 180;
    const km = 1 + (n % 5) * 0.5;
    return env.delivery.envelope(DeliveryScheduled, {
      deliveryId: deriveEventId(packageId, 'delivery'),
      packageId,
      orderId: deriveEventId(`${label}-${n}`, 'order'),
      pickup: WAREHOUSE,
      dropoff: { lat: WAREHOUSE.lat + (km / 111) * Math.cos(angle), lon: WAREHOUSE.lon + (km / 69) * Math.sin(angle) },
    });
  };

  env.schedule = async (label, n) => {
    const event = env.scheduled(label, n);
    await env.delivery.publishEnvelopes([event]);
    return event;
  };

  env.telemetry = async () => {
    return (await readEnvelopes(env.bus, DroneTelemetry.stream)).map((envelope) => {
      const problem = DroneTelemetry.validate(envelope.data);
      if (envelope.type !== DroneTelemetry.type || problem) throw new Error(`not a valid DroneTelemetry: ${problem}`);
      return envelope as Reading;
    });
  };

  env.acked = async () => {
    const group = (await groupsOf(env.bus, DeliveryScheduled.stream)).find((info) => info.name === 'drone-sim');
    return group !== undefined && group.pending === 0 && group.lag === 0;
  };

  env.settled = async (sim, timeoutMs = 20_000) => {
    await waitFor(async () => {
      // The group first: once every job is acked it is in the fleet, so an idle fleet then means flown.
      if (!(await env.acked())) return false;
      const snapshot = sim.fleet();
      return snapshot.queued === 0 && snapshot.drones.every((drone) => !drone.busy);
    }, { timeoutMs, description: 'drone-sim idle with every job acked' });
  };

  return env;
}

/** Readings of one delivery, in stream order. */
export const flightOf = (readings: Reading[], deliveryId: string) => readings.filter((reading) => reading.data.deliveryId === deliveryId);

const RANK = { TO_PICKUP: 0, PICKED_UP: 1, IN_TRANSIT: 2, DELIVERED: 3, FAILED: 3 } as const;

/** The shape every flight has, whatever its outcome. */
export function expectWellFormed(flight: Reading[]) {
  expect(flight.length).toBeGreaterThan(0);
  expect(flight.map((reading) => reading.data.seq)).toEqual(flight.map((_, index) => index));
  expect(flight[0]?.data.phase).toBe('TO_PICKUP');
  const ranks = flight.map((reading) => RANK[reading.data.phase]);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  expect(flight.filter((reading) => reading.data.phase === 'PICKED_UP').length).toBeLessThanOrEqual(1);
  expect(new Set(flight.map((reading) => reading.data.droneId)).size).toBe(1);
  for (const reading of flight) expect(reading.id).toBe(telemetryEventId(reading.data.deliveryId, reading.data.seq));
}

