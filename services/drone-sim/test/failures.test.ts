import { describe, expect, it } from 'vitest';
import { droneSimDefaults } from '../src/config.ts';
import { failureOf } from '../src/domain/failure.ts';
import { expectWellFormed, flightOf, useDroneSim } from './harness.ts';

const t = useDroneSim();
const JOBS = 16;

describe('drone-sim failure injection', () => {
  it('rate 1: every flight fails, a battery death with a FAILED reading, a lost drone by going silent', async () => {
    const sim = await t.start({ failureRate: 1, fleetSize: 4 });
    const scheduled = [];
    for (let n = 1; n <= JOBS; n++) scheduled.push(await t.schedule('doomed', n));
    await t.settled(sim);
    const readings = await t.telemetry();
    const kinds = new Set<string>();
    for (const { data } of scheduled) {
      const flight = flightOf(readings, data.deliveryId);
      expectWellFormed(flight);
      expect(flight.some((reading) => reading.data.phase === 'DELIVERED')).toBe(false);
      const expected = failureOf(data.deliveryId, { rate: 1, seed: droneSimDefaults.seed });
      kinds.add(expected?.kind ?? 'none');
      const last = flight.at(-1)?.data;
      if (expected?.kind === 'BATTERY_DEPLETED') {
        expect(last).toMatchObject({ phase: 'FAILED', failure: 'BATTERY_DEPLETED', batteryPct: 0, speedMps: 0 });
        expect(flight.slice(0, -1).every((reading) => reading.data.batteryPct > 0 && reading.data.phase !== 'FAILED')).toBe(true);
      } else {
        expect(expected?.kind).toBe('DRONE_LOST');
        expect(flight.some((reading) => reading.data.phase === 'FAILED')).toBe(false);
        expect(last?.position).not.toEqual(data.dropoff);
      }
    }
    // Fixed ids: both kinds are in this set, so both branches above ran.
    expect(kinds).toEqual(new Set(['BATTERY_DEPLETED', 'DRONE_LOST']));
  });

  it('rate 0: every flight is delivered', async () => {
    const sim = await t.start({ failureRate: 0, fleetSize: 4 });
    const scheduled = [];
    for (let n = 1; n <= JOBS; n++) scheduled.push(await t.schedule('fine', n));
    await t.settled(sim);
    const readings = await t.telemetry();
    for (const { data } of scheduled) {
      const flight = flightOf(readings, data.deliveryId);
      expectWellFormed(flight);
      expect(flight.at(-1)?.data).toMatchObject({ phase: 'DELIVERED', position: data.dropoff });
      expect(flight.some((reading) => reading.data.phase === 'FAILED')).toBe(false);
    }
  });
});
