import { describe, expect, it } from 'vitest';
import { distanceKm, interpolate, MAX_LAT } from './geo.ts';

const london = { lat: 51.5072, lon: -0.1276 };
const paris = { lat: 48.8566, lon: 2.3522 };

describe('geo', () => {
  it('measures great-circle distances', () => {
    expect(distanceKm(london, paris)).toBeGreaterThan(340);
    expect(distanceKm(london, paris)).toBeLessThan(345);
    expect(distanceKm(london, london)).toBe(0);
  });

  it('interpolates along the great circle: ends exact, midpoint equidistant', () => {
    expect(interpolate(london, paris, 0)).toEqual(london);
    expect(interpolate(london, paris, 1)).toEqual(paris);
    const middle = interpolate(london, paris, 0.5);
    expect(distanceKm(london, middle)).toBeCloseTo(distanceKm(middle, paris), 6);
    const quarter = interpolate(london, paris, 0.25);
    expect(distanceKm(london, quarter)).toBeCloseTo(distanceKm(london, paris) / 4, 6);
  });

  it('crosses the antimeridian the short way', () => {
    const middle = interpolate({ lat: 0, lon: 179 }, { lat: 0, lon: -179 }, 0.5);
    expect(Math.abs(middle.lon)).toBeCloseTo(180, 6);
    expect(middle.lat).toBeCloseTo(0, 6);
  });

  it('stays inside the Mercator band over a pole, and copes with antipodes', () => {
    const overPole = interpolate({ lat: 80, lon: 0 }, { lat: 80, lon: 180 }, 0.5);
    expect(overPole.lat).toBe(MAX_LAT);
    const antipodal = interpolate({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }, 0.5);
    expect(antipodal).toEqual({ lat: 0, lon: 90 });
  });
});
