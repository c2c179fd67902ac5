import { describe, expect, it } from 'vitest';
import { deriveEventId } from 'tributary';
import { DeliveryStatusChanged } from '@tributary/contracts';
import { waitFor } from 'tributary/testing';
import { expectWellFormed, flightOf, useDroneSim, WAREHOUSE } from './harness.ts';

const t = useDroneSim();

describe('drone-sim flights', () => {
  it('flies a scheduled delivery: pickup, then dropoff, one reading per tick, seq 0, 1, 2, ...', async () => {
    const sim = await t.start();
    const scheduled = await t.schedule('one', 1);
    const { deliveryId, dropoff } = scheduled.data;
    const flight = await waitFor(async () => {
      const readings = flightOf(await t.telemetry(), deliveryId);
      return readings.at(-1)?.data.phase === 'DELIVERED' ? readings : null;
    }, { description: 'DELIVERED reading' });

    expectWellFormed(flight);
    expect(flight.map((reading) => reading.data.phase).filter((phase, i, all) => i === 0 || all[i - 1] !== phase))
      .toEqual(['TO_PICKUP', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
    // A drone's first job starts it at that job's pickup.
    expect(flight[0]?.data.position).toEqual(WAREHOUSE);
    expect(flight.find((reading) => reading.data.phase === 'PICKED_UP')?.data.position).toEqual(WAREHOUSE);
    expect(flight.at(-1)?.data.position).toEqual(dropoff);
    expect(flight.at(-1)?.data.batteryPct).toBeLessThan(100);
    expect(flight.every((reading) => reading.data.droneId === 'drone-1' && reading.data.failure === undefined)).toBe(true);
    // The readings answer the DeliveryScheduled: same correlation, caused by it.
    expect(flight.every((reading) => reading.causationId === scheduled.id && reading.correlationId === scheduled.correlationId)).toBe(true);
    expect(flight[0]?.id).toBe(deriveEventId(deliveryId, 'telemetry-0'));

    await t.settled(sim);
    const response = await sim.app.inject({ method: 'GET', url: '/fleet' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { drones: Array<{ droneId: string; busy: boolean; deliveryId: string | null; position: unknown }>; queued: number };
    expect(body.queued).toBe(0);
    expect(body.drones).toHaveLength(10);
    expect(body.drones[0]).toEqual({ droneId: 'drone-1', busy: false, deliveryId: null, position: dropoff });
    expect(body.drones.slice(1).every((drone) => drone.position === null && !drone.busy)).toBe(true);
  });

  it('a drone takes its next job from where the last one ended', async () => {
    const sim = await t.start({ fleetSize: 1 });
    const first = await t.schedule('chain', 1);
    const second = await t.schedule('chain', 2);
    await t.settled(sim);
    const readings = await t.telemetry();
    const one = flightOf(readings, first.data.deliveryId);
    const two = flightOf(readings, second.data.deliveryId);
    expectWellFormed(one);
    expectWellFormed(two);
    expect(two[0]?.data.position).toEqual(first.data.dropoff);
    expect(two.at(-1)?.data).toMatchObject({ phase: 'DELIVERED', position: second.data.dropoff });
  });

  it('GET /fleet shows the drone busy with its delivery while it flies', async () => {
    // Slow enough to look at: 100 ms ticks at 10x is a reading every 20 m.
    const sim = await t.start({ tickMs: 100, timeScale: 10 });
    const scheduled = await t.schedule('watch', 1);
    const busy = await waitFor(() => sim.fleet().drones.find((drone) => drone.busy), { description: 'a busy drone' });
    expect(busy).toMatchObject({ droneId: 'drone-1', deliveryId: scheduled.data.deliveryId });
    const response = await sim.app.inject({ method: 'GET', url: '/fleet' });
    const body = response.json() as { drones: unknown[]; queued: number };
    expect(body.queued).toBe(0);
    expect(body.drones[0]).toMatchObject({ droneId: 'drone-1', busy: true, deliveryId: scheduled.data.deliveryId });
  });

  it('a queued delivery that failed (NO_DRONE_AVAILABLE) is never flown; the others are', async () => {
    const sim = await t.start({ fleetSize: 1 });
    const scheduled = [t.scheduled('queue', 1), t.scheduled('queue', 2), t.scheduled('queue', 3)];
    const given = scheduled[2]?.data as (typeof scheduled)[number]['data'];
    // One write, read in stream order: the third is queued behind the other two when its failure arrives.
    const failed = t.delivery.envelope(DeliveryStatusChanged, {
      deliveryId: given.deliveryId, packageId: given.packageId, orderId: given.orderId, status: 'FAILED', reason: 'NO_DRONE_AVAILABLE', at: new Date().toISOString(),
    });
    await t.delivery.publishEnvelopes([...scheduled, failed]);
    await t.settled(sim);
    const flown = new Set((await t.telemetry()).map((reading) => reading.data.deliveryId));
    expect(flown).toEqual(new Set([scheduled[0]?.data.deliveryId, scheduled[1]?.data.deliveryId]));
  });
});
