import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { DeliveryFailureReason, DeliveryStatusSchema, GeoPoint, Id } from '@tributary/contracts';
import { etaSeconds } from '../domain/eta.ts';
import type { DeliveryStore } from '../store/deliveries.ts';
import { deliveryError } from '../errors.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const DeliveryReply = Type.Object({
  deliveryId: Id,
  packageId: Id,
  orderId: Id,
  status: DeliveryStatusSchema,
  droneId: Nullable(Id),
  position: Nullable(GeoPoint),
  batteryPct: Nullable(Type.Number()),
  /** Remaining distance at the last reported speed; null when not flying. */
  etaSeconds: Nullable(Type.Integer({ minimum: 0 })),
  reason: Nullable(DeliveryFailureReason),
  updatedAt: Type.String({ format: 'date-time' }),
  steps: Type.Array(Type.Object({ status: DeliveryStatusSchema, at: Type.String({ format: 'date-time' }) })),
});

/**
 * GET /deliveries/:id: the live status customers poll. Finished deliveries
 * stay readable here until DELIVERY_RETENTION_SECONDS after history recorded
 * them; after that, 404 here and delivery-history has them.
 */
export function deliveryRoutes(deps: { deliveries: DeliveryStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/deliveries/:id',
      { schema: { params: Type.Object({ id: Id }), response: { 200: DeliveryReply, 404: ErrorBody } } },
      async (request) => {
        const delivery = await deps.deliveries.get(request.params.id);
        if (!delivery) throw deliveryError('DELIVERY_NOT_FOUND', `delivery ${request.params.id} is not here: unknown, or finished and expired (delivery-history keeps finished ones)`);
        return {
          deliveryId: delivery.deliveryId,
          packageId: delivery.packageId,
          orderId: delivery.orderId,
          status: delivery.status,
          droneId: delivery.droneId,
          position: delivery.position,
          batteryPct: delivery.batteryPct,
          etaSeconds: etaSeconds(delivery),
          reason: delivery.reason,
          updatedAt: delivery.updatedAt,
          steps: delivery.steps,
        };
      },
    );
  };
}
