import { describe, expect, it } from 'vitest';
import { DEFAULT_WAREHOUSE, readWarehouse } from './config.ts';

describe('readWarehouse', () => {
  it('defaults to London; reads WAREHOUSE_LAT / WAREHOUSE_LON', () => {
    expect(readWarehouse({})).toEqual(DEFAULT_WAREHOUSE);
    expect(readWarehouse({ WAREHOUSE_LAT: '', WAREHOUSE_LON: ' ' })).toEqual(DEFAULT_WAREHOUSE);
    expect(readWarehouse({ WAREHOUSE_LAT: '48.8566', WAREHOUSE_LON: '2.3522' })).toEqual({ lat: 48.8566, lon: 2.3522 });
    expect(readWarehouse({ WAREHOUSE_LON: '-180' })).toEqual({ lat: DEFAULT_WAREHOUSE.lat, lon: -180 });
  });

  it('refuses values that are not coordinates, or too close to the poles for a dropoff', () => {
    for (const env of [{ WAREHOUSE_LAT: 'north' }, { WAREHOUSE_LAT: '85' }, { WAREHOUSE_LAT: '-90' }, { WAREHOUSE_LON: '181' }, { WAREHOUSE_LON: 'NaN' }, { WAREHOUSE_LON: 'Infinity' }]) {
      expect(() => readWarehouse(env), JSON.stringify(env)).toThrow(/WAREHOUSE_(LAT|LON)/);
    }
    expect(() => readWarehouse({ WAREHOUSE_LAT: '85' })).toThrow('WAREHOUSE_LAT must be a number >= -84.9 and <= 84.9, got "85"');
  });
});
