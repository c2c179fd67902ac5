import { createHash } from 'node:crypto';

/**
 * Where a drone drops a parcel. This shop has no geocoder, so the point
 * stands in for one: a hash of the destination picks a bearing (0-360°) and a
 * distance (1-8 km) from the warehouse. The same address always lands on the
 * same point, different addresses spread around the warehouse, and every
 * point is a short flight away. A real deployment would geocode the address
 * here instead.
 */

export interface GeoPoint {
  lat: number;
  lon: number;
}

export const MIN_DROPOFF_KM = 1;
export const MAX_DROPOFF_KM = 8;
/** Mean Earth radius (IUGG), as used by the haversine formula. */
const EARTH_RADIUS_KM = 6371.0088;
/** ~0.1 m: enough for a drone, and stable text in JSON. */
const DECIMALS = 6;

const toRadians = (degrees: number) => (degrees * Math.PI) / 180;
const toDegrees = (radians: number) => (radians * 180) / Math.PI;
const round = (value: number) => Number(value.toFixed(DECIMALS));

/**
 * What the point is derived from: the address when there is one (trimmed,
 * spaces collapsed, lower case, so trivial retyping does not move it; with
 * the country, since the same street exists in many), else the user id.
 */
export function dropoffKey(shipTo: { country: string; address: string | null } | undefined, userId: string): string {
  const address = shipTo?.address?.trim().replace(/\s+/g, ' ').toLowerCase() ?? '';
  return shipTo && address !== '' ? `address:${shipTo.country}:${address}` : `user:${userId}`;
}

/** The point `distanceKm` from `origin` along `bearingDegrees` on a sphere (great-circle destination). */
export function destination(origin: GeoPoint, bearingDegrees: number, distanceKm: number): GeoPoint {
  const angular = distanceKm / EARTH_RADIUS_KM;
  const bearing = toRadians(bearingDegrees);
  const lat1 = toRadians(origin.lat);
  const lon1 = toRadians(origin.lon);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(angular) + Math.cos(lat1) * Math.sin(angular) * Math.cos(bearing));
  const lon2 = lon1 + Math.atan2(Math.sin(bearing) * Math.sin(angular) * Math.cos(lat1), Math.cos(angular) - Math.sin(lat1) * Math.sin(lat2));
  // Back into [-180, 180) when the flight crosses the antimeridian.
  const lon = ((toDegrees(lon2) + 540) % 360) - 180;
  return { lat: round(toDegrees(lat2)), lon: round(lon) };
}

/** Great-circle distance (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLon = toRadians(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function dropoffFor(warehouse: GeoPoint, key: string): GeoPoint {
  const digest = createHash('sha256').update(key).digest();
  const bearing = (digest.readUInt32BE(0) / 2 ** 32) * 360;
  const distance = MIN_DROPOFF_KM + (digest.readUInt32BE(4) / 2 ** 32) * (MAX_DROPOFF_KM - MIN_DROPOFF_KM);
  return destination(warehouse, bearing, distance);
}
