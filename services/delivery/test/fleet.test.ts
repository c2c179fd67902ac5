import { describe, expect, it } from 'vitest';
import { createFleetStore } from '../src/store/fleet.ts';
import { deliveryKeys, fleetShard, legacyFleetKeys } from '../src/store/keys.ts';
import type { Snapshot } from '../src/store/replies.ts';
import { flushRedis } from 'tributary/testing';
import { useRedis } from 'tributary/testing/vitest';

const rule = { silenceTimeoutMs: 60_000, droneWaitTimeoutMs: 600_000 };

/**
 * syncFleet-4.lua and claimDue-1.lua: the fleet indexes are written by a second call after the
 * delivery's script, so calls can arrive late or twice (two instances, a
 * retry). An older state never overwrites a newer one, and a finished
 * delivery never comes back.
 */
const env = useRedis();

const state = (seq: number, status: Snapshot['status'], lat: number, heardAtMs: number): Snapshot => ({
  status, seq, heardAtMs, position: { lat, lon: -3.19 }, droneId: 'drone-1', batteryPct: 90,
  packageId: 'p', orderId: 'o', reason: null, createdAt: '2030-01-01T00:00:00.000Z',
});
const position = async (id: string) => {
  const [point] = await env.redis.sendCommand<Array<[string, string] | null>>(['GEOPOS', deliveryKeys.drones(fleetShard(id)), id]);
  return point ? Number(point[1]) : null;
};
const score = async (key: string, id: string) => {
  const found = await env.redis.sendCommand<string | null>(['ZSCORE', key, id]);
  return found === null ? null : Number(found);
};
const deadline = (id: string) => score(deliveryKeys.due(fleetShard(id)), id);

describe('syncFleet-4.lua', () => {
  it('keeps the newest state whatever order the calls come in', async () => {
    const fleet = createFleetStore(env.redis, rule);
    expect(await fleet.sync('d-1', state(5, 'IN_TRANSIT', 55.5, 5_000))).toBe(true);
    expect(await fleet.sync('d-1', state(3, 'PICKED_UP', 55.3, 3_000))).toBe(false);
    expect(await position('d-1')).toBeCloseTo(55.5, 4);
    expect(await deadline('d-1')).toBe(5_000 + rule.silenceTimeoutMs);
    expect(await fleet.sync('d-1', state(6, 'IN_TRANSIT', 55.6, 6_000))).toBe(true);
    expect(await position('d-1')).toBeCloseTo(55.6, 4);
  });

  it('the first reading moves the deadline from the wait limit to the silence timeout, and leaves the queue', async () => {
    const fleet = createFleetStore(env.redis, rule);
    await fleet.sync('d-2', { ...state(-1, 'CREATED', 0, 1_000), position: null });
    expect(await deadline('d-2')).toBe(1_000 + rule.droneWaitTimeoutMs);
    expect(await score(deliveryKeys.waiting(fleetShard('d-2')), 'd-2')).toBe(1_000);
    await fleet.sync('d-2', state(0, 'CREATED', 55.1, 9_000));
    expect(await deadline('d-2')).toBe(9_000 + rule.silenceTimeoutMs);
    expect(await score(deliveryKeys.waiting(fleetShard('d-2')), 'd-2')).toBeNull();
    // A late call for the waiting state does not put it back.
    expect(await fleet.sync('d-2', { ...state(-1, 'CREATED', 0, 1_000), position: null })).toBe(false);
    expect(await deadline('d-2')).toBe(9_000 + rule.silenceTimeoutMs);
  });

  it('a finished delivery leaves both indexes for good, even if an older call comes after', async () => {
    const fleet = createFleetStore(env.redis, rule);
    await fleet.sync('d-3', state(4, 'IN_TRANSIT', 55.4, 4_000));
    expect(await fleet.sync('d-3', state(7, 'DELIVERED', 55.7, 7_000))).toBe(true);
    expect(await fleet.sync('d-3', state(6, 'IN_TRANSIT', 55.6, 6_000))).toBe(false);
    expect(await fleet.sync('d-3', state(9, 'IN_TRANSIT', 55.9, 9_000))).toBe(false);
    expect(await position('d-3')).toBeNull();
    expect(await deadline('d-3')).toBeNull();
    expect((await fleet.takeDue(Number.MAX_SAFE_INTEGER - 1, 100, Number.MAX_SAFE_INTEGER)).ids).not.toContain('d-3');
  });

  it('a finished delivery\'s marker is kept an hour, not a day; a live one past its longest gap between writes', async () => {
    const fleet = createFleetStore(env.redis, rule);
    await fleet.sync('d-6', state(2, 'IN_TRANSIT', 55.2, 2_000));
    await fleet.sync('d-6', state(3, 'DELIVERED', 55.3, 3_000));
    const finishedTtl = await env.redis.sendCommand<number>(['TTL', deliveryKeys.flight('d-6')]);
    expect(finishedTtl).toBeGreaterThan(3_500);
    expect(finishedTtl).toBeLessThanOrEqual(3_600);
    // A wait for a drone of two hours: the marker of a queued delivery outlives it.
    const patient = createFleetStore(env.redis, { ...rule, droneWaitTimeoutMs: 2 * 3_600_000 });
    await patient.sync('d-7', { ...state(-1, 'CREATED', 0, 1_000), position: null });
    expect(await env.redis.sendCommand<number>(['TTL', deliveryKeys.flight('d-7')])).toBeGreaterThan(2 * 3_600);
    await patient.sync('d-7', null); // out of the queue the next test counts
  });

  it('a delivery that is gone is taken out', async () => {
    const fleet = createFleetStore(env.redis, rule);
    await fleet.sync('d-4', state(1, 'CREATED', 55.1, 1_000));
    expect(await fleet.sync('d-4', null)).toBe(true);
    expect(await deadline('d-4')).toBeNull();
  });

  it('a CREATED delivery without a position is watched but not on the map', async () => {
    const fleet = createFleetStore(env.redis, rule);
    await fleet.sync('d-5', { ...state(-1, 'CREATED', 0, 2_000), position: null });
    expect(await deadline('d-5')).toBe(2_000 + rule.droneWaitTimeoutMs);
    expect(await position('d-5')).toBeNull();
    expect(await fleet.queue()).toEqual({ waiting: 1, oldestCreatedAtMs: 2_000 });
  });
});

describe('the watchdog\'s claim over the fleet shards (claimDue-1.lua)', () => {
  /** Adds each delivery to the deadline index of its own shard, as syncFleet does. */
  const due = async (entries: Array<[number, string]>) => {
    await flushRedis(env.redis);
    for (const [at, id] of entries) await env.redis.sendCommand(['ZADD', deliveryKeys.due(fleetShard(id)), String(at), id]);
  };

  it('takes only what is due, oldest deadline first across the shards, bounded, and leases what it took', async () => {
    await due([[100, 'a'], [200, 'b'], [300, 'c'], [10_000, 'later']]);
    expect(new Set(['a', 'b', 'c', 'later'].map(fleetShard)).size).toBeGreaterThan(1);
    expect(await createFleetStore(env.redis, rule).takeDue(300, 2, 5_000)).toEqual({ due: 3, ids: ['a', 'b'] });
    expect(await score(deliveryKeys.due(fleetShard('a')), 'a')).toBe(5_000);
    // The next run carries on with the rest, not the same two again.
    expect(await createFleetStore(env.redis, rule).takeDue(300, 2, 5_000)).toEqual({ due: 1, ids: ['c'] });
    expect(await createFleetStore(env.redis, rule).takeDue(300, 2, 5_000)).toEqual({ due: 0, ids: [] });
    // After the lease, what was never settled is due again.
    expect((await createFleetStore(env.redis, rule).takeDue(5_000, 10, 9_000)).ids).toEqual(['a', 'b', 'c']);
    expect(await score(deliveryKeys.due(fleetShard('later')), 'later')).toBe(10_000);
  });

  it('never gives one delivery to two instances claiming at once', async () => {
    await due(Array.from({ length: 40 }, (_, i): [number, string] => [i, `d-${i}`]));
    const runs = await Promise.all([1, 2, 3].map(() => createFleetStore(env.redis, rule).takeDue(100, 40, 5_000)));
    const taken = runs.flatMap((run) => run.ids);
    expect(taken.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `d-${i}`).sort());
  });

  it('adopts the unsharded indexes of earlier versions, and their last-heard index, once', async () => {
    await flushRedis(env.redis);
    await env.redis.sendCommand(['ZADD', legacyFleetKeys.heard(), '50', 'old-1', '60', 'old-2']);
    await env.redis.sendCommand(['ZADD', legacyFleetKeys.due(), '70', 'old-3']);
    await env.redis.sendCommand(['ZADD', legacyFleetKeys.waiting(), '1000', 'old-3']);
    await env.redis.sendCommand(['GEOADD', legacyFleetKeys.drones(), '-3.19', '55.95', 'old-3']);
    await env.redis.sendCommand(['SET', 'delivery:{fleet}:flight:old-3', '7', 'EX', '600']);
    const fleet = createFleetStore(env.redis, rule);
    expect(await fleet.adoptLegacyIndex()).toBe(5);
    expect(await fleet.adoptLegacyIndex()).toBe(0);
    expect(await position('old-3')).toBeCloseTo(55.95, 4);
    expect(await fleet.queue()).toEqual({ waiting: 1, oldestCreatedAtMs: 1_000 });
    expect(await env.redis.sendCommand(['GET', deliveryKeys.flight('old-3')])).toBe('7');
    expect((await fleet.takeDue(100, 10, 200)).ids).toEqual(['old-1', 'old-2', 'old-3']);
  });
});
