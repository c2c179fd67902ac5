import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPublisher } from 'tributary';
import { createPubSubPublisher } from 'tributary/pubsub';
import { createLogger } from 'tributary/service';
import { DRONE_PHASES, DroneTelemetry, type DeliveryStatus } from '@tributary/contracts';
import type { DeliveryStep } from '../src/domain/delivery.ts';
import { isTerminal, phaseStatus, readingApplies, STATUS_RANK, stepsTo } from '../src/domain/status.ts';
import { statusEventId } from '../src/handlers/status-events.ts';
import { telemetryHandlers } from '../src/handlers/telemetry.ts';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { createFleetStore } from '../src/store/fleet.ts';
import { SERVICE } from '../src/store/keys.ts';
import { DROPOFF, PICKUP, useDelivery, type Phase, type Reading } from './harness.ts';

/**
 * THE MONOTONIC TEST. Telemetry redelivered, late or out of order never
 * moves a delivery back, and a finished delivery stays finished.
 */
const env = useDelivery();

/** A flight: TO_PICKUP x a, PICKED_UP x b, IN_TRANSIT x c, then DELIVERED or FAILED; seq = index. */
function flightPhases(a: number, b: number, c: number, end: 'DELIVERED' | 'FAILED'): Phase[] {
  return [...Array<Phase>(a).fill('TO_PICKUP'), ...Array<Phase>(b).fill('PICKED_UP'), ...Array<Phase>(c).fill('IN_TRANSIT'), end];
}

/** A small seeded generator (mulberry32), so a failing shuffle can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

interface ModelState {
  status: DeliveryStatus;
  seq: number;
  reason: string | null;
  position: Reading['position'] | null;
  steps: DeliveryStep[];
}

/** What the delivery must be after these readings, in this order: the pure rules of domain/status.ts. */
function model(initial: ModelState, readings: Reading[]): ModelState {
  let state = initial;
  for (const reading of readings) {
    if (!readingApplies(state, reading)) continue;
    const steps = stepsTo(state.status, phaseStatus(reading.phase));
    state = {
      status: steps.at(-1) ?? state.status,
      seq: reading.seq,
      reason: steps.includes('FAILED') ? (reading.failure ?? null) : state.reason,
      position: reading.position,
      steps: [...state.steps, ...steps.map((status) => ({ status, at: reading.at }))],
    };
  }
  return state;
}

describe('through the consumer', () => {
  it('shuffled flights, some readings twice, all arrive DELIVERED with one event per step', async () => {
    await env.start({ telemetryConsumer: { batchSize: 7 } });
    const random = seeded(20_240_601);
    const flights: Array<{ deliveryId: string; readings: Reading[] }> = [];
    for (let i = 0; i < 12; i++) {
      const deliveryId = await env.createDelivery();
      const phases = flightPhases(1 + (i % 3), 1 + (i % 2), 2 + (i % 4), 'DELIVERED');
      const readings = phases.map((phase, seq) => env.reading(deliveryId, seq, phase, phase === 'DELIVERED' ? { position: DROPOFF } : {}));
      flights.push({ deliveryId, readings });
    }
    // Every flight shuffled on its own, a third of the readings sent twice, and the flights interleaved.
    const sent = flights.flatMap(({ readings }) => {
      const twice = readings.filter(() => random() < 0.33);
      return shuffle([...readings, ...twice], random);
    });
    await env.fly(shuffle(sent, random));

    for (const { deliveryId, readings } of flights) {
      const delivery = await env.get(deliveryId);
      expect(delivery?.status).toBe('DELIVERED');
      expect(delivery?.position).toEqual(DROPOFF);
      expect(delivery?.steps.map((step) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
      // Whatever order they came in, the last reading wins the position and the DELIVERED one the last step.
      expect(delivery?.seq).toBe(readings.length - 1);
      const events = await env.statusEvents(deliveryId);
      expect(events.map((event) => event.data.status).sort()).toEqual(['CREATED', 'DELIVERED', 'IN_TRANSIT', 'PICKED_UP']);
      expect(new Set(events.map((event) => event.id)).size).toBe(4);
    }
  });

  it('DELIVERED followed by older IN_TRANSIT readings, then the same batch twice: still DELIVERED, nothing republished', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const delivered = env.reading(deliveryId, 9, 'DELIVERED', { position: DROPOFF });
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP'), delivered]);
    const before = await env.get(deliveryId);
    const eventsBefore = await env.statusEvents(deliveryId);

    const late = [8, 7, 3, 5].map((seq) => env.reading(deliveryId, seq, 'IN_TRANSIT', { position: PICKUP }));
    await env.fly(late);
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP'), delivered]);
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP'), delivered]);
    // Newer than the DELIVERED one, still refused: a finished delivery never changes.
    await env.fly([env.reading(deliveryId, 10, 'IN_TRANSIT', { position: PICKUP })]);

    expect(await env.get(deliveryId)).toEqual(before);
    expect(await env.statusEvents(deliveryId)).toEqual(eventsBefore);
    expect(eventsBefore.map((event) => event.data.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
  });
});

describe('the Lua script against the pure rules, over random orders (fast-check)', () => {
  const logger = createLogger('delivery', 'silent');
  const context = (size: number) => ({
    stream: DroneTelemetry.stream, group: SERVICE, consumer: 'property', signal: new AbortController().signal,
    entryIds: Array.from({ length: size }, (_, i) => `0-${i + 1}`), deliveryCounts: Array<number>(size).fill(1),
  });

  /**
   * Feeds `sequence` to the batch handler in batches of the given sizes and
   * checks after each batch: never a step back, a finished delivery
   * unchanged, and exactly the state the pure rules give. At the end: one
   * event per step reached, in order, under derived ids.
   */
  async function check(makeSequence: (deliveryId: string) => Reading[], batches: number[]): Promise<ModelState> {
    const deliveries = createDeliveryStore(env.store);
    const publisher = createPublisher({ redis: env.bus, service: SERVICE });
    const handlers = telemetryHandlers({
      deliveries, fleet: createFleetStore(env.store), publisher, positions: createPubSubPublisher({ redis: env.bus }), logger,
    });
    const deliveryId = randomUUID();
    const created = await deliveries.create({ deliveryId, packageId: randomUUID(), orderId: randomUUID(), pickup: PICKUP, dropoff: DROPOFF }, new Date());
    if (created.outcome !== 'created') throw new Error('not created');
    const sequence = makeSequence(deliveryId);

    let expected: ModelState = { status: 'CREATED', seq: -1, reason: null, position: null, steps: [{ status: 'CREATED', at: created.snapshot.createdAt }] };
    let offset = 0;
    for (let b = 0; offset < sequence.length; b++) {
      const size = batches[b % batches.length] as number;
      const batch = sequence.slice(offset, offset + size);
      offset += size;
      const before = expected;
      expected = model(expected, batch);
      await handlers.batch(batch.map((reading) => env.drones.envelope(DroneTelemetry, reading)), context(batch.length));

      const delivery = await deliveries.get(deliveryId);
      if (!delivery) throw new Error('delivery vanished');
      expect(STATUS_RANK[delivery.status]).toBeGreaterThanOrEqual(STATUS_RANK[before.status]);
      if (isTerminal(before.status)) expect({ status: delivery.status, seq: delivery.seq, position: delivery.position }).toEqual({ status: before.status, seq: before.seq, position: before.position });
      expect({ status: delivery.status, seq: delivery.seq, reason: delivery.reason, position: delivery.position, steps: delivery.steps }).toEqual(expected);
    }
    const events = await env.statusEvents(deliveryId);
    const reached = expected.steps.filter((step) => step.status !== 'CREATED');
    expect(events.map((event) => [event.id, event.data.status, event.data.at])).toEqual(
      reached.map((step) => [statusEventId(deliveryId, step.status), step.status, step.at]),
    );
    return expected;
  }

  const batchSizes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 });

  it('a real flight, shuffled, some readings again: ends where the flight ended', async () => {
    const flight = fc.record({
      a: fc.integer({ min: 0, max: 3 }),
      b: fc.integer({ min: 0, max: 3 }),
      c: fc.integer({ min: 0, max: 4 }),
      end: fc.constantFrom('DELIVERED' as const, 'FAILED' as const),
    }).chain(({ a, b, c, end }) => {
      const n = a + b + c + 1;
      return fc.record({
        phases: fc.constant(flightPhases(a, b, c, end)),
        order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
        // Readings sent again (a redelivery, a duplicate entry) at random places.
        again: fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat()), { maxLength: n }),
        batches: batchSizes,
      });
    });
    await fc.assert(
      fc.asyncProperty(flight, async ({ phases, order, again, batches }) => {
        const ended = await check((deliveryId) => {
          const readings = phases.map((phase, seq) => env.reading(deliveryId, seq, phase, phase === 'FAILED' ? { failure: 'BATTERY_DEPLETED' } : {}));
          const sequence = order.map((index) => readings[index] as Reading);
          for (const [index, at] of again) sequence.splice(at % (sequence.length + 1), 0, readings[index] as Reading);
          return sequence;
        }, batches);
        // Every reading arrived at least once, so the delivery ended as the flight did.
        expect(ended.status).toBe(phases.at(-1));
        expect(ended.seq).toBe(phases.length - 1);
      }),
      { numRuns: 100 },
    );
  });

  it('readings that contradict each other (any seq, any phase, after the end too) still never move it back', async () => {
    const reading = fc.record({ seq: fc.nat({ max: 12 }), phase: fc.constantFrom(...DRONE_PHASES) });
    await fc.assert(
      fc.asyncProperty(fc.array(reading, { minLength: 1, maxLength: 20 }), batchSizes, async (readings, batches) => {
        await check((deliveryId) => readings.map(({ seq, phase }) => env.reading(deliveryId, seq, phase, phase === 'FAILED' ? { failure: 'NO_DRONE_AVAILABLE' } : {})), batches);
      }),
      { numRuns: 150 },
    );
  });
});
