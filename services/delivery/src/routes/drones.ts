import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { GeoPoint, Id } from '@tributary/contracts';
import type { FleetStore } from '../store/fleet.ts';

/** Nearest first, at most this many: a map needs no more, and the reply stays small. */
export const MAX_DRONES = 100;

const DronesQuery = Type.Object({
  lat: Type.Number({ minimum: -85.05112878, maximum: 85.05112878 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  radiusKm: Type.Number({ exclusiveMinimum: 0, maximum: 20_000, default: 50 }),
});

const DronesReply = Type.Object({
  items: Type.Array(Type.Object({ droneId: Id, deliveryId: Id, position: GeoPoint, distanceKm: Type.Number({ minimum: 0 }) })),
});

/** GET /drones?lat&lon&radiusKm: drones flying a delivery near a point (GEOSEARCH), nearest first. */
export function droneRoutes(deps: { fleet: FleetStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get('/drones', { schema: { querystring: DronesQuery, response: { 200: DronesReply } } }, async (request) => {
      const { lat, lon, radiusKm } = request.query;
      return { items: await deps.fleet.nearby({ lat, lon }, radiusKm, MAX_DRONES) };
    });
  };
}
