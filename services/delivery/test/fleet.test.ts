import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { startRedisServer, type RedisServer } from 'tributary/testing';
import { createFleetStore } from '../src/store/fleet.ts';
import { deliveryKeys } from '../src/store/keys.ts';
import type { Snapshot } from '../src/store/replies.ts';

/**
 * syncFleet-3.lua: the fleet indexes are written by a second call after the
 * delivery's script, so calls can arrive late or twice (two instances, a
 * retry). An older state never overwrites a newer one, and a finished
 * delivery never comes back.
 */
let server: RedisServer;
let redis: RedisClient;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.url);
});
afterAll(async () => {
  await redis.close();
  await server.stop();
});

const state = (seq: number, status: Snapshot['status'], lat: number, heardAtMs: number): Snapshot => ({
  status, seq, heardAtMs, position: { lat, lon: -3.19 }, droneId: 'drone-1', batteryPct: 90,
  packageId: 'p', orderId: 'o', reason: null, createdAt: '2030-01-01T00:00:00.000Z',
});
const position = async (id: string) => {
  const [point] = await redis.sendCommand<Array<[string, string] | null>>(['GEOPOS', deliveryKeys.drones(), id]);
  return point ? Number(point[1]) : null;
};
const heard = async (id: string) => {
  const score = await redis.sendCommand<string | null>(['ZSCORE', deliveryKeys.heard(), id]);
  return score === null ? null : Number(score);
};

describe('syncFleet-3.lua', () => {
  it('keeps the newest state whatever order the calls come in', async () => {
    const fleet = createFleetStore(redis);
    expect(await fleet.sync('d-1', state(5, 'IN_TRANSIT', 55.5, 5_000))).toBe(true);
    expect(await fleet.sync('d-1', state(3, 'PICKED_UP', 55.3, 3_000))).toBe(false);
    expect(await position('d-1')).toBeCloseTo(55.5, 4);
    expect(await heard('d-1')).toBe(5_000);
    expect(await fleet.sync('d-1', state(6, 'IN_TRANSIT', 55.6, 6_000))).toBe(true);
    expect(await position('d-1')).toBeCloseTo(55.6, 4);
  });

  it('never lets the last-heard time go back', async () => {
    const fleet = createFleetStore(redis);
    await fleet.sync('d-2', state(1, 'IN_TRANSIT', 55.1, 9_000));
    await fleet.sync('d-2', state(1, 'IN_TRANSIT', 55.1, 4_000));
    expect(await heard('d-2')).toBe(9_000);
  });

  it('a finished delivery leaves both indexes for good, even if an older call comes after', async () => {
    const fleet = createFleetStore(redis);
    await fleet.sync('d-3', state(4, 'IN_TRANSIT', 55.4, 4_000));
    expect(await fleet.sync('d-3', state(7, 'DELIVERED', 55.7, 7_000))).toBe(true);
    expect(await fleet.sync('d-3', state(6, 'IN_TRANSIT', 55.6, 6_000))).toBe(false);
    expect(await fleet.sync('d-3', state(9, 'IN_TRANSIT', 55.9, 9_000))).toBe(false);
    expect(await position('d-3')).toBeNull();
    expect(await heard('d-3')).toBeNull();
    expect(await fleet.silentSince(Number.MAX_SAFE_INTEGER, 100)).not.toContain('d-3');
  });

  it('a delivery that is gone is taken out', async () => {
    const fleet = createFleetStore(redis);
    await fleet.sync('d-4', state(1, 'CREATED', 55.1, 1_000));
    expect(await fleet.sync('d-4', null)).toBe(true);
    expect(await heard('d-4')).toBeNull();
  });

  it('a CREATED delivery without a position is watched but not on the map', async () => {
    const fleet = createFleetStore(redis);
    await fleet.sync('d-5', { ...state(-1, 'CREATED', 0, 2_000), position: null });
    expect(await heard('d-5')).toBe(2_000);
    expect(await position('d-5')).toBeNull();
  });
});
