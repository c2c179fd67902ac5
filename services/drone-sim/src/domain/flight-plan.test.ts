import { describe, expect, it } from 'vitest';
import { flightReadings, planFlight, readingAt, RESERVE_PCT, type FlightInput, type Phase } from './flight-plan.ts';
import { distanceKm, type Point } from './geo.ts';

const home = { lat: 51.5, lon: -0.12 };
const pickup = { lat: 51.51, lon: -0.1 };
const dropoff = { lat: 51.54, lon: -0.05 };
const input: FlightInput = { start: home, pickup, dropoff, speedMps: 20, stepSeconds: 10, failure: null };

const phases = (readings: Array<{ phase: Phase }>) => readings.map((reading) => reading.phase);
/** Collapses runs: the order of phases a flight goes through. */
const phaseOrder = (readings: Array<{ phase: Phase }>) =>
  phases(readings).filter((phase, index, all) => index === 0 || all[index - 1] !== phase);

describe('flight plan', () => {
  it('flies start -> pickup -> dropoff: phases in order, seq from 0, exact ends', () => {
    const readings = flightReadings(planFlight(input));
    expect(readings.map((reading) => reading.seq)).toEqual(readings.map((_, index) => index));
    expect(phaseOrder(readings)).toEqual(['TO_PICKUP', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
    expect(phases(readings).filter((phase) => phase === 'PICKED_UP')).toHaveLength(1);
    expect(readings[0]?.position).toEqual(home);
    expect(readings.find((reading) => reading.phase === 'PICKED_UP')?.position).toEqual(pickup);
    expect(readings.at(-1)?.position).toEqual(dropoff);
  });

  it('moves at most speed x step between readings, and about that much while flying', () => {
    const readings = flightReadings(planFlight(input));
    const stepKm = (input.speedMps * input.stepSeconds) / 1_000;
    for (let index = 1; index < readings.length; index++) {
      const hop = distanceKm(readings[index - 1]?.position as Point, readings[index]?.position as Point);
      expect(hop).toBeLessThanOrEqual(stepKm + 1e-9);
      if (readings[index - 1]?.phase === 'IN_TRANSIT' && readings[index]?.phase === 'IN_TRANSIT') expect(hop).toBeCloseTo(stepKm, 6);
    }
    const plan = planFlight(input);
    expect(readings.at(-1)?.elapsedSeconds).toBeCloseTo(((plan.toPickupKm + plan.inTransitKm) * 1_000) / input.speedMps, 6);
  });

  it('covers more ground per reading with a bigger time step', () => {
    const fine = planFlight(input).length;
    const coarse = planFlight({ ...input, stepSeconds: 100 }).length;
    expect(coarse).toBeLessThan(fine);
    expect(coarse).toBeGreaterThanOrEqual(3);
  });

  it('drains the battery with distance, and a healthy one arrives above the reserve', () => {
    const readings = flightReadings(planFlight(input));
    for (let index = 1; index < readings.length; index++) {
      expect(readings[index]?.batteryPct).toBeLessThanOrEqual(readings[index - 1]?.batteryPct as number);
    }
    expect(readings[0]?.batteryPct).toBe(100);
    expect(readings.at(-1)?.batteryPct).toBeLessThan(100);
    const far = flightReadings(planFlight({ ...input, dropoff: { lat: 52.5, lon: 1 }, stepSeconds: 60 }));
    expect(far.at(-1)?.batteryPct).toBeGreaterThanOrEqual(RESERVE_PCT);
  });

  it('a drone already at the pickup reports once there, then picks up; pickup = dropoff has no transit', () => {
    const readings = flightReadings(planFlight({ ...input, start: pickup, dropoff: pickup }));
    expect(phases(readings)).toEqual(['TO_PICKUP', 'PICKED_UP', 'DELIVERED']);
    expect(readings.every((reading) => reading.speedMps === 0 && reading.batteryPct === 100)).toBe(true);
  });

  it('a battery death ends on one FAILED reading at 0 %, on the route, mid-flight', () => {
    const plan = planFlight({ ...input, failure: { kind: 'BATTERY_DEPLETED', point: 0.5 } });
    const healthy = flightReadings(planFlight(input));
    const readings = flightReadings(plan);
    expect(plan.outcome).toBe('BATTERY_DEPLETED');
    expect(readings.length).toBeLessThan(healthy.length);
    const last = readings.at(-1);
    expect(last).toMatchObject({ phase: 'FAILED', failure: 'BATTERY_DEPLETED', batteryPct: 0, speedMps: 0 });
    expect(last?.position).toEqual(healthy[readings.length - 1]?.position);
    expect(readings.slice(0, -1).every((reading) => reading.phase !== 'FAILED' && reading.batteryPct > 0)).toBe(true);
    expect(readings.slice(0, -1).map((reading) => reading.position)).toEqual(healthy.slice(0, readings.length - 1).map((reading) => reading.position));
  });

  it('a lost drone just stops reporting before it arrives', () => {
    const plan = planFlight({ ...input, failure: { kind: 'DRONE_LOST', point: 0.5 } });
    const healthy = flightReadings(planFlight(input));
    const readings = flightReadings(plan);
    expect(readings.length).toBeGreaterThan(0);
    expect(readings.length).toBeLessThan(healthy.length - 1);
    expect(phases(readings)).not.toContain('DELIVERED');
    expect(phases(readings)).not.toContain('FAILED');
    expect(readings).toEqual(healthy.slice(0, readings.length));
  });

  it('failures never come before the first reading, even on the shortest flight', () => {
    for (const kind of ['BATTERY_DEPLETED', 'DRONE_LOST'] as const) {
      const readings = flightReadings(planFlight({ ...input, start: pickup, dropoff: pickup, failure: { kind, point: 0.2 } }));
      expect(readings[0]?.phase).toBe('TO_PICKUP');
      expect(phases(readings)).not.toContain('DELIVERED');
    }
  });

  it('is pure, and has nothing outside 0 .. length - 1', () => {
    const plan = planFlight(input);
    expect(readingAt(plan, 3)).toEqual(readingAt(planFlight(input), 3));
    expect(readingAt(plan, -1)).toBeNull();
    expect(readingAt(plan, plan.length)).toBeNull();
    expect(readingAt(plan, 1.5)).toBeNull();
    expect(() => planFlight({ ...input, speedMps: 0 })).toThrow(RangeError);
  });
});
