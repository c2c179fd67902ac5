import type { GeoPoint } from './domain/dropoff.ts';

/** Central London: where parcels are picked up unless WAREHOUSE_LAT / WAREHOUSE_LON say otherwise. */
export const DEFAULT_WAREHOUSE: GeoPoint = { lat: 51.5072, lon: -0.1276 };

/**
 * Dropoffs lie up to 8 km (≈0.072° of latitude) from the warehouse and must
 * stay inside the Web Mercator band the contracts' GeoPoint allows (±85.05°).
 */
const MAX_WAREHOUSE_LAT = 84.9;

function coordinate(env: NodeJS.ProcessEnv, name: string, fallback: number, limit: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || Math.abs(value) > limit) throw new Error(`${name} must be a number between -${limit} and ${limit}, got ${JSON.stringify(raw)}`);
  return value;
}

/** The warehouse every package is picked up at; a bad value stops the service at start-up rather than misplacing parcels. */
export function readWarehouse(env: NodeJS.ProcessEnv = process.env): GeoPoint {
  return {
    lat: coordinate(env, 'WAREHOUSE_LAT', DEFAULT_WAREHOUSE.lat, MAX_WAREHOUSE_LAT),
    lon: coordinate(env, 'WAREHOUSE_LON', DEFAULT_WAREHOUSE.lon, 180),
  };
}
