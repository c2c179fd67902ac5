/** WGS 84 degrees, the shape of the contracts' GeoPoint. */
export interface Point {
  lat: number;
  lon: number;
}

const EARTH_RADIUS_KM = 6_371.0088;
/** The contracts' GeoPoint stops at the Web Mercator band (what Redis GEO accepts). */
export const MAX_LAT = 85.05112878;

const radians = (degrees: number) => (degrees * Math.PI) / 180;
const degrees = (radiansValue: number) => (radiansValue * 180) / Math.PI;

/** Angular distance (haversine), radians. */
function angle(a: Point, b: Point): number {
  const dLat = radians(b.lat - a.lat);
  const dLon = radians(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Great-circle distance. */
export function distanceKm(a: Point, b: Point): number {
  return angle(a, b) * EARTH_RADIUS_KM;
}

/**
 * The point `fraction` of the way along the great circle from `a` to `b`
 * (slerp of unit vectors), so a flight across the antimeridian goes the short
 * way. A route over a pole would leave the Mercator band: the latitude is
 * clamped, as a real drone would skirt the cap.
 */
export function interpolate(a: Point, b: Point, fraction: number): Point {
  if (fraction <= 0) return a;
  if (fraction >= 1) return b;
  const delta = angle(a, b);
  if (delta < 1e-12) return a;
  // Antipodes have no single great circle between them (and sin(delta) ~ 0): fly the parallels instead.
  if (Math.PI - delta < 1e-9) return { lat: a.lat + (b.lat - a.lat) * fraction, lon: a.lon + (b.lon - a.lon) * fraction };
  const wa = Math.sin((1 - fraction) * delta) / Math.sin(delta);
  const wb = Math.sin(fraction * delta) / Math.sin(delta);
  const [latA, lonA, latB, lonB] = [radians(a.lat), radians(a.lon), radians(b.lat), radians(b.lon)];
  const x = wa * Math.cos(latA) * Math.cos(lonA) + wb * Math.cos(latB) * Math.cos(lonB);
  const y = wa * Math.cos(latA) * Math.sin(lonA) + wb * Math.cos(latB) * Math.sin(lonB);
  const z = wa * Math.sin(latA) + wb * Math.sin(latB);
  const lat = degrees(Math.atan2(z, Math.hypot(x, y)));
  return { lat: Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)), lon: degrees(Math.atan2(y, x)) };
}
