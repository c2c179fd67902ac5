import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { GeoPoint, Id } from '@tributary/contracts';
import type { FleetStore } from '../store/fleet.ts';
import { deliveryError } from '../errors.ts';

/** Nearest first, at most this many: a map needs no more, and the reply stays small. */
export const MAX_DRONES = 100;

const DronesQuery = Type.Object({
  lat: Type.Optional(Type.Number({ minimum: -85.05112878, maximum: 85.05112878 })),
  lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  radiusKm: Type.Number({ exclusiveMinimum: 0, maximum: 20_000, default: 50 }),
});

/** Half the Earth's circumference and a little: from any point, a radius that covers the globe. */
const WHOLE_EARTH_KM = 20_100;

const DronesReply = Type.Object({
  items: Type.Array(Type.Object({ droneId: Id, deliveryId: Id, position: GeoPoint, distanceKm: Type.Number({ minimum: 0 }) })),
});

/**
 * GET /drones?lat&lon&radiusKm: drones flying a delivery near a point
 * (GEOSEARCH), nearest first. Without a point, every drone in flight (a map
 * of the whole fleet), still at most MAX_DRONES.
 */
export function droneRoutes(deps: { fleet: FleetStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get('/drones', { schema: { querystring: DronesQuery, response: { 200: DronesReply } } }, async (request) => {
      const { lat, lon, radiusKm } = request.query;
      if (lat === undefined && lon === undefined) return { items: await deps.fleet.nearby({ lat: 0, lon: 0 }, WHOLE_EARTH_KM, MAX_DRONES) };
      if (lat === undefined || lon === undefined) {
        throw deliveryError('VALIDATION_FAILED', 'give both lat and lon, or neither');
      }
      return { items: await deps.fleet.nearby({ lat, lon }, radiusKm, MAX_DRONES) };
    });
  };
}
