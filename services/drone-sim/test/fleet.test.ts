import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { DeliveryScheduled } from '@tributary/contracts';
import { flightOf, useDroneSim, type Reading } from './harness.ts';

const t = useDroneSim();

describe('drone-sim fleet', () => {
  it('more jobs than drones: every job waits its turn and completes, one flight per drone at a time', async () => {
    const sim = await t.start({ fleetSize: 2 });
    const scheduled = [];
    for (let n = 1; n <= 7; n++) scheduled.push(await t.schedule('rush', n));
    await t.settled(sim, 30_000);
    const readings = await t.telemetry();
    for (const { data } of scheduled) expect(flightOf(readings, data.deliveryId).at(-1)?.data.phase).toBe('DELIVERED');

    const byDrone = new Map<string, Reading[]>();
    for (const reading of readings) byDrone.set(reading.data.droneId, [...(byDrone.get(reading.data.droneId) ?? []), reading]);
    expect([...byDrone.keys()].sort()).toEqual(['drone-1', 'drone-2']);
    for (const [droneId, own] of byDrone) {
      // In stream order, a drone's readings are whole flights one after another: a new one starts at seq 0 after DELIVERED.
      for (let i = 1; i < own.length; i++) {
        const previous = own[i - 1]?.data;
        const current = own[i]?.data;
        if (current?.deliveryId === previous?.deliveryId) continue;
        expect(previous?.phase, `${droneId} left ${previous?.deliveryId} before it ended`).toBe('DELIVERED');
        expect(current?.seq).toBe(0);
      }
    }
  });

  it('a redelivered DeliveryScheduled for a delivery already flown does not start a second flight', async () => {
    const sim = await t.start({ fleetSize: 3 });
    const scheduled = t.scheduled('again', 1);
    await t.delivery.publishEnvelopes([scheduled]);
    await t.settled(sim);
    const once = flightOf(await t.telemetry(), scheduled.data.deliveryId);
    expect(once.at(-1)?.data.phase).toBe('DELIVERED');

    // The same event again, and delivery re-announcing it under a new event id.
    await t.delivery.publishEnvelopes([scheduled, t.delivery.envelope(DeliveryScheduled, scheduled.data)]);
    await t.settled(sim);
    const after = flightOf(await t.telemetry(), scheduled.data.deliveryId);
    expect(after).toEqual(once);
    expect(sim.fleet().drones.filter((drone) => drone.position !== null)).toHaveLength(1);
  });

  it('a duplicate that arrives while the flight is in the air is ignored too', async () => {
    // Slow: 100 ms ticks at 10x, 20 m a reading, so the flight is still in the air when the duplicates are acked.
    const sim = await t.start({ fleetSize: 3, tickMs: 100, timeScale: 10 });
    const scheduled = t.scheduled('midair', 1);
    const { deliveryId } = scheduled.data;
    await t.delivery.publishEnvelopes([scheduled]);
    await waitFor(() => sim.fleet().drones.some((drone) => drone.deliveryId === deliveryId), { description: 'flight in the air' });
    await t.delivery.publishEnvelopes([scheduled, t.delivery.envelope(DeliveryScheduled, scheduled.data)]);
    await waitFor(() => t.acked(), { description: 'duplicates acked' });

    // A second flight would be on another drone or in the queue.
    const snapshot = sim.fleet();
    expect(snapshot.queued).toBe(0);
    expect(snapshot.drones.filter((drone) => drone.busy).map((drone) => drone.deliveryId)).toEqual([deliveryId]);
    expect(snapshot.drones.filter((drone) => drone.position !== null)).toHaveLength(1);
    const flight = flightOf(await t.telemetry(), deliveryId);
    expect(flight.map((reading) => reading.data.seq)).toEqual(flight.map((_, index) => index));
  });
});
