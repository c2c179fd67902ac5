import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import {
  createPublisher, deriveEventId, groupsOf,
  type Envelope, type EventData, type Publisher, type RedisClient,
} from 'tributary';
import { createLogger } from 'tributary/service';
import { useBusAndStore } from 'tributary/testing/vitest';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { DeliveryStatusChanged, DroneTelemetry, PackageCreated, type DeliveryScheduled, type DRONE_PHASES } from '@tributary/contracts';
import { startDelivery, type DeliveryDeps, type DeliveryService } from '../src/app.ts';
import type { DeliveryRecord } from '../src/domain/delivery.ts';
import type { Point } from '../src/domain/geo.ts';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { deliveryKeys } from '../src/store/keys.ts';

export type DeliveryEvent = Envelope<EventData<typeof DeliveryScheduled> | EventData<typeof DeliveryStatusChanged>>;
export type Phase = (typeof DRONE_PHASES)[number];
export type Reading = EventData<typeof DroneTelemetry>;

export const PICKUP: Point = { lat: 55.9533, lon: -3.1883 };
export const DROPOFF: Point = { lat: 55.9486, lon: -3.2008 };

export interface DeliveryTestEnv {
  /** Streams and pub/sub only. */
  bus: RedisClient;
  /** The service's own data only: a different server, so nothing can depend on them being one. */
  store: RedisClient;
  packages: Publisher;
  drones: Publisher;
  history: Publisher;
  /** Starts an instance (closed after the test); the watchdog is off unless options say otherwise. */
  start(options?: Partial<Omit<DeliveryDeps, 'bus' | 'store' | 'logger'>>): Promise<DeliveryService>;
  /** A PackageCreated envelope for a new package, and the delivery id it leads to. */
  packageCreated(): { event: Envelope<EventData<typeof PackageCreated>>; deliveryId: string };
  /** Closes an instance before the end of the test. */
  stop(instance: DeliveryService): Promise<void>;
  /** Publishes a PackageCreated and waits until the delivery exists and is announced. */
  createDelivery(): Promise<string>;
  /** A reading of a flight along PICKUP -> DROPOFF. */
  reading(deliveryId: string, seq: number, phase: Phase, extra?: Partial<Reading>): Reading;
  /** Publishes readings (one pipelined batch) and waits until the delivery group has consumed them. */
  fly(readings: Reading[]): Promise<void>;
  /** Waits until the group `delivery` has read and acked everything on `stream`. */
  consumed(stream: string): Promise<void>;
  /** Every event delivery published, in stream order. */
  events(): Promise<DeliveryEvent[]>;
  statusEvents(deliveryId: string): Promise<Array<Envelope<EventData<typeof DeliveryStatusChanged>>>>;
  get(deliveryId: string): Promise<DeliveryRecord | null>;
}

/** A drone's position after `fraction` of the way from pickup to dropoff. */
export function along(fraction: number): Point {
  return { lat: PICKUP.lat + (DROPOFF.lat - PICKUP.lat) * fraction, lon: PICKUP.lon + (DROPOFF.lon - PICKUP.lon) * fraction };
}

export function useDelivery(): DeliveryTestEnv {
  const redis = useBusAndStore<DeliveryService>();
  const logger = createLogger('delivery', process.env.TEST_LOG ?? 'silent');
  const env = {} as DeliveryTestEnv;

  beforeAll(() => {
    env.bus = redis.bus;
    env.store = redis.store;
    env.packages = createPublisher({ redis: env.bus, service: 'package' });
    env.drones = createPublisher({ redis: env.bus, service: 'drone-sim' });
    env.history = createPublisher({ redis: env.bus, service: 'delivery-history' });
  });

  env.start = async (options = {}) => {
    const instance = await startDelivery({
      instance: `delivery-test-${randomBytes(3).toString('hex')}`,
      ...options,
      bus: env.bus,
      store: env.store,
      logger,
      consumer: { blockMs: 100, ...options.consumer },
      // Off unless a test turns it on: silence must not be judged on a slow test machine.
      watchdog: { timeoutMs: 3_600_000, intervalMs: 3_600_000, ...options.watchdog },
    });
    return redis.track(instance);
  };

  env.stop = async (instance) => {
    redis.forget(instance);
    await instance.close();
  };

  env.packageCreated = () => {
    const packageId = randomUUID();
    const event = env.packages.envelope(PackageCreated, {
      packageId, orderId: randomUUID(), userId: randomUUID(), size: 'SMALL', weightGrams: 1_200,
      tags: ['books'], items: [{ productId: randomUUID(), quantity: 1 }], pickup: PICKUP, dropoff: DROPOFF,
    }, { id: deriveEventId(packageId, 'PackageCreated') });
    return { event, deliveryId: deriveEventId(packageId, 'delivery') };
  };

  env.createDelivery = async () => {
    const { event, deliveryId } = env.packageCreated();
    await env.packages.publishEnvelopes([event]);
    await waitFor(async () => Number(await env.store.sendCommand(['HEXISTS', deliveryKeys.delivery(deliveryId), 'sent:CREATED'])) === 1, {
      description: `delivery ${deliveryId} created and announced`,
    });
    return deliveryId;
  };

  env.reading = (deliveryId, seq, phase, extra = {}) => ({
    droneId: 'drone-7',
    deliveryId,
    seq,
    at: new Date(Date.UTC(2030, 0, 1, 12, 0, seq)).toISOString(),
    position: along(Math.min(1, seq / 100)),
    batteryPct: Math.max(0, 100 - seq / 10),
    speedMps: 12,
    phase,
    ...extra,
  });

  env.consumed = async (stream) => {
    await waitFor(async () => {
      const group = (await groupsOf(env.bus, stream)).find((info) => info.name === 'delivery');
      return group !== undefined && group.lag === 0 && group.pending === 0;
    }, { description: `group delivery caught up on ${stream}` });
  };

  env.fly = async (readings) => {
    await env.drones.publishEnvelopes(readings.map((reading) => env.drones.envelope(DroneTelemetry, reading)));
    await env.consumed(DroneTelemetry.stream);
  };

  env.events = async () => (await readEnvelopes(env.bus, DeliveryStatusChanged.stream)) as Array<DeliveryEvent>;

  env.statusEvents = async (deliveryId) =>
    (await env.events()).filter(
      (event): event is Envelope<EventData<typeof DeliveryStatusChanged>> =>
        event.type === DeliveryStatusChanged.type && DeliveryStatusChanged.is(event.data) && event.data.deliveryId === deliveryId,
    );

  env.get = (deliveryId) => createDeliveryStore(env.store).get(deliveryId);

  return env;
}
