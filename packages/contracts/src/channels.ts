import { Type } from 'tributary';
import { defineChannel } from 'tributary/pubsub';
import { Id } from './common.ts';
import { DeliveryStatusSchema } from './delivery.ts';
import { GeoPoint } from './geo.ts';

/**
 * Live drone positions for the dashboard, published by delivery on the bus
 * Redis with pub/sub: fire and forget, a missed message is replaced by the
 * next one. Never used for anything that must happen.
 */
export const DronePositions = defineChannel(
  'delivery:positions',
  Type.Object({
    droneId: Id,
    deliveryId: Id,
    status: DeliveryStatusSchema,
    position: GeoPoint,
    batteryPct: Type.Number({ minimum: 0, maximum: 100 }),
    at: Type.String(),
  }),
);
