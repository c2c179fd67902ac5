import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { destination, distanceKm, dropoffFor, dropoffKey, MAX_DROPOFF_KM, MIN_DROPOFF_KM } from './dropoff.ts';

const london = { lat: 51.5072, lon: -0.1276 };
// Rounding to 6 decimals moves a point by at most ~0.1 m.
const SLACK_KM = 0.001;

describe('dropoff', () => {
  it('destination() flies the asked distance along the bearing', () => {
    const north = destination(london, 0, 5);
    expect(north.lon).toBeCloseTo(london.lon, 6);
    expect(north.lat).toBeGreaterThan(london.lat);
    expect(distanceKm(london, north)).toBeCloseTo(5, 3);
    const east = destination(london, 90, 3);
    expect(east.lon).toBeGreaterThan(london.lon);
    expect(distanceKm(london, east)).toBeCloseTo(3, 3);
    // Across the antimeridian the longitude wraps into range.
    expect(destination({ lat: 0, lon: 179.99 }, 90, 8).lon).toBeLessThan(-179.9);
  });

  it('any key lands 1-8 km from any warehouse, always on the same point', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.double({ min: -84.9, max: 84.9, noNaN: true }),
        fc.double({ min: -180, max: 180, noNaN: true }),
        (key, lat, lon) => {
          const warehouse = { lat, lon };
          const point = dropoffFor(warehouse, key);
          const km = distanceKm(warehouse, point);
          expect(km).toBeGreaterThanOrEqual(MIN_DROPOFF_KM - SLACK_KM);
          expect(km).toBeLessThanOrEqual(MAX_DROPOFF_KM + SLACK_KM);
          expect(Math.abs(point.lat)).toBeLessThanOrEqual(85.05112878);
          expect(Math.abs(point.lon)).toBeLessThanOrEqual(180);
          expect(dropoffFor(warehouse, key)).toEqual(point);
        },
      ),
    );
  });

  it('different addresses spread out: 200 keys give 200 points in every direction', () => {
    const points = Array.from({ length: 200 }, (_, n) => dropoffFor(london, dropoffKey({ country: 'GB', address: `${n} High Street` }, 'u')));
    expect(new Set(points.map((point) => `${point.lat},${point.lon}`)).size).toBe(200);
    const quadrants = new Set(points.map((point) => `${point.lat > london.lat}${point.lon > london.lon}`));
    expect(quadrants.size).toBe(4);
  });

  it('the key: the normalised address with its country, else the user', () => {
    expect(dropoffKey({ country: 'GB', address: '  221B   Baker  Street ' }, 'u-1')).toBe('address:GB:221b baker street');
    expect(dropoffKey({ country: 'GB', address: '221b baker street' }, 'u-2')).toBe('address:GB:221b baker street');
    expect(dropoffKey({ country: 'US', address: '221b baker street' }, 'u-1')).not.toBe(dropoffKey({ country: 'GB', address: '221b baker street' }, 'u-1'));
    expect(dropoffKey({ country: 'GB', address: null }, 'u-1')).toBe('user:u-1');
    expect(dropoffKey({ country: 'GB', address: '   ' }, 'u-1')).toBe('user:u-1');
    expect(dropoffKey(undefined, 'u-1')).toBe('user:u-1');
  });
});
