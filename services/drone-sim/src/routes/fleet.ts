import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { GeoPoint, Id } from '@tributary/contracts';
import type { FleetSnapshot } from '../domain/fleet.ts';

const FleetResponse = Type.Object({
  drones: Type.Array(Type.Object({
    droneId: Id,
    busy: Type.Boolean(),
    deliveryId: Type.Union([Id, Type.Null()]),
    /** Null until the drone's first job: it starts where that job is picked up. */
    position: Type.Union([GeoPoint, Type.Null()]),
  })),
  queued: Type.Integer({ minimum: 0 }),
});

/** GET /fleet: what every drone is doing, for debugging and the dashboard. */
export function fleetRoutes(deps: { snapshot(): FleetSnapshot }) {
  return async (app: HttpApp) => {
    app.get('/fleet', { schema: { response: { 200: FleetResponse } } }, async () => deps.snapshot());
  };
}
