import { describe, expect, it } from 'vitest';
import { createFleet, type FleetOptions, type Job } from './fleet.ts';

const options: FleetOptions = { size: 2, idPrefix: 'drone', speedMps: 20, stepSeconds: 30, failureRate: 0, seed: 'tributary', seenLimit: 100, queueLimit: 100 };
const warehouse = { lat: 51.5072, lon: -0.1276 };
const job = (deliveryId: string, dropoff = { lat: 51.52, lon: -0.1 }, pickup = warehouse): Job<string> => ({ deliveryId, pickup, dropoff, cause: `cause-${deliveryId}` });

/** Ticks until nothing is due, returning every reading in the order sent. */
function flyAll(fleet: ReturnType<typeof createFleet<string>>, maxTicks = 10_000) {
  const sent: Array<{ droneId: string; deliveryId: string; seq: number; phase: string }> = [];
  for (let tick = 0; tick < maxTicks; tick++) {
    const due = fleet.due();
    if (due.length === 0) return sent;
    for (const item of due) sent.push({ droneId: item.droneId, deliveryId: item.deliveryId, seq: item.reading.seq, phase: item.reading.phase });
    fleet.commit(due);
  }
  throw new Error('the fleet never finished');
}

describe('fleet', () => {
  it('flies a job on a free drone, which starts at the pickup and ends at the dropoff', () => {
    const fleet = createFleet<string>(options);
    expect(fleet.snapshot().drones.map((drone) => drone.position)).toEqual([null, null]);
    expect(fleet.accept(job('a'))).toBe('started');
    expect(fleet.snapshot().drones[0]).toEqual({ droneId: 'drone-1', busy: true, deliveryId: 'a', position: warehouse });
    const [first] = fleet.due();
    expect(first).toMatchObject({ droneId: 'drone-1', deliveryId: 'a', cause: 'cause-a', reading: { seq: 0, phase: 'TO_PICKUP', position: warehouse } });
    const sent = flyAll(fleet);
    expect(sent.at(-1)).toMatchObject({ deliveryId: 'a', phase: 'DELIVERED' });
    expect(fleet.snapshot().drones[0]).toEqual({ droneId: 'drone-1', busy: false, deliveryId: null, position: { lat: 51.52, lon: -0.1 } });
  });

  it('due() changes nothing; commit() moves only the readings it is given, once', () => {
    const fleet = createFleet<string>(options);
    fleet.accept(job('a'));
    const due = fleet.due();
    expect(fleet.due()).toEqual(due);
    fleet.commit(due);
    fleet.commit(due);
    expect(fleet.due()[0]?.reading.seq).toBe(1);
  });

  it('queues jobs while every drone is busy, FIFO, and never puts two flights on one drone', () => {
    const fleet = createFleet<string>(options);
    const outcomes = ['a', 'b', 'c', 'd', 'e'].map((id, index) => fleet.accept(job(id, { lat: 51.51 + index * 0.01, lon: -0.1 })));
    expect(outcomes).toEqual(['started', 'started', 'queued', 'queued', 'queued']);
    expect(fleet.snapshot().queued).toBe(3);
    const sent = flyAll(fleet);
    const delivered = sent.filter((reading) => reading.phase === 'DELIVERED').map((reading) => reading.deliveryId);
    expect(new Set(delivered)).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
    // Per drone, flights follow one another: a drone never goes back to a delivery it left.
    for (const droneId of ['drone-1', 'drone-2']) {
      const order = sent.filter((reading) => reading.droneId === droneId).map((reading) => reading.deliveryId);
      const runs = order.filter((id, index) => index === 0 || order[index - 1] !== id);
      expect(new Set(runs).size).toBe(runs.length);
    }
    // Queued jobs take off in the order they came.
    const takeOffs = sent.filter((reading) => reading.seq === 0).map((reading) => reading.deliveryId);
    expect(takeOffs.slice(2)).toEqual(['c', 'd', 'e']);
    expect(fleet.snapshot().queued).toBe(0);
  });

  it('a withdrawn job (its delivery failed while queued) never flies; a flight in the air is not withdrawn', () => {
    const fleet = createFleet<string>(options);
    for (const id of ['a', 'b', 'c', 'd']) fleet.accept(job(id));
    expect(fleet.withdraw('c')).toBe(true);
    expect(fleet.withdraw('c')).toBe(false);
    expect(fleet.withdraw('a')).toBe(false);
    expect(fleet.snapshot().queued).toBe(1);
    const flown = new Set(flyAll(fleet).map((reading) => reading.deliveryId));
    expect(flown).toEqual(new Set(['a', 'b', 'd']));
  });

  it('the next flight of a drone starts where the last one ended; the nearest free drone takes a job', () => {
    const fleet = createFleet<string>({ ...options, size: 2 });
    const far = { lat: 51.6, lon: 0.1 };
    fleet.accept(job('a', far));
    fleet.accept(job('b', { lat: 51.51, lon: -0.12 }));
    flyAll(fleet);
    // drone-1 ended far away, drone-2 near the warehouse: drone-2 takes the next warehouse job.
    fleet.accept(job('c'));
    const [next] = fleet.due();
    expect(next?.droneId).toBe('drone-2');
    expect(next?.reading.position).toEqual({ lat: 51.51, lon: -0.12 });
  });

  it('refuses a second flight for a delivery flying, queued or flown', () => {
    const fleet = createFleet<string>({ ...options, size: 1 });
    fleet.accept(job('a'));
    fleet.accept(job('b'));
    expect(fleet.accept(job('a'))).toBe('duplicate');
    expect(fleet.accept(job('b'))).toBe('duplicate');
    flyAll(fleet);
    expect(fleet.accept(job('a'))).toBe('duplicate');
    expect(fleet.due()).toEqual([]);
  });

  it('refuses a job while every drone is busy and the queue is full; takes one again once there is room', () => {
    const fleet = createFleet<string>({ ...options, queueLimit: 2 });
    expect(['a', 'b', 'c', 'd'].map((id) => fleet.accept(job(id)))).toEqual(['started', 'started', 'queued', 'queued']);
    expect(fleet.accept(job('e'))).toBe('refused');
    expect(fleet.snapshot().queued).toBe(2);
    // Refused is not flown: the same delivery is taken once a place frees up.
    expect(fleet.withdraw('c')).toBe(true);
    expect(fleet.accept(job('e'))).toBe('queued');
    expect(fleet.accept(job('f'))).toBe('refused');
    const flown = new Set(flyAll(fleet).map((reading) => reading.deliveryId));
    expect([...flown].sort()).toEqual(['a', 'b', 'd', 'e']);
  });

  it('a failed drone is back in service for the next job', () => {
    const fleet = createFleet<string>({ ...options, size: 1, failureRate: 1 });
    fleet.accept(job('a'));
    fleet.accept(job('b'));
    const sent = flyAll(fleet);
    expect(sent.filter((reading) => reading.seq === 0).map((reading) => reading.deliveryId)).toEqual(['a', 'b']);
    expect(sent.some((reading) => reading.phase === 'DELIVERED')).toBe(false);
  });
});
