import { describe, expect, it } from 'vitest';
import { etaSeconds } from './eta.ts';
import { distanceKm } from './geo.ts';

const pickup = { lat: 55.9533, lon: -3.1883 };
const dropoff = { lat: 55.9486, lon: -3.2008 };

describe('distanceKm', () => {
  it('measures a degree of latitude as about 111 km, and a point as 0', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(111.2, 1);
    expect(distanceKm(pickup, pickup)).toBe(0);
  });
});

describe('etaSeconds', () => {
  it('is the remaining distance to the dropoff at the last speed', () => {
    const metres = distanceKm(pickup, dropoff) * 1_000;
    expect(etaSeconds({ status: 'IN_TRANSIT', position: pickup, speedMps: 10, pickup, dropoff })).toBe(Math.ceil(metres / 10));
    expect(etaSeconds({ status: 'IN_TRANSIT', position: dropoff, speedMps: 10, pickup, dropoff })).toBe(0);
  });

  it('goes by the pickup while the drone is still on its way there', () => {
    const start = { lat: 55.96, lon: -3.18 };
    const metres = (distanceKm(start, pickup) + distanceKm(pickup, dropoff)) * 1_000;
    expect(etaSeconds({ status: 'CREATED', position: start, speedMps: 20, pickup, dropoff })).toBe(Math.ceil(metres / 20));
  });

  it('is null with nothing to go by, and once finished', () => {
    expect(etaSeconds({ status: 'CREATED', position: null, speedMps: null, pickup, dropoff })).toBeNull();
    expect(etaSeconds({ status: 'IN_TRANSIT', position: pickup, speedMps: 0, pickup, dropoff })).toBeNull();
    expect(etaSeconds({ status: 'DELIVERED', position: dropoff, speedMps: 10, pickup, dropoff })).toBeNull();
    expect(etaSeconds({ status: 'FAILED', position: pickup, speedMps: 10, pickup, dropoff })).toBeNull();
  });
});
