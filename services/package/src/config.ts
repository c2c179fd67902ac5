import { Type } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';
import type { GeoPoint } from './domain/dropoff.ts';

/**
 * Dropoffs lie up to 8 km (≈0.072° of latitude) from the warehouse and must
 * stay inside the Web Mercator band the contracts' GeoPoint allows (±85.05°).
 */
const MAX_WAREHOUSE_LAT = 84.9;

/** The warehouse every package is picked up at; central London unless set. */
export const packageSettingsSchema = Type.Object({
  lat: Type.Number({ env: 'WAREHOUSE_LAT', default: 51.5072, minimum: -MAX_WAREHOUSE_LAT, maximum: MAX_WAREHOUSE_LAT, description: 'Latitude of the warehouse every package is picked up at.' }),
  lon: Type.Number({ env: 'WAREHOUSE_LON', default: -0.1276, minimum: -180, maximum: 180, description: 'Longitude of the warehouse every package is picked up at.' }),
});

/** Central London: where parcels are picked up unless WAREHOUSE_LAT / WAREHOUSE_LON say otherwise. */
export const DEFAULT_WAREHOUSE: GeoPoint = readSettings(packageSettingsSchema, {});

/** A bad value stops the service at start-up rather than misplacing parcels. */
export function readWarehouse(env: NodeJS.ProcessEnv = process.env): GeoPoint {
  // package has always taken a blank variable as unset; the kit takes only "" as unset, so trim here.
  const trimmed = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value?.trim()]));
  return readSettings(packageSettingsSchema, trimmed);
}
