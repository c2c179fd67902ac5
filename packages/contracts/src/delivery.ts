import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';
import { GeoPoint } from './geo.ts';

/**
 * A delivery moves forward only: CREATED -> PICKED_UP -> IN_TRANSIT ->
 * DELIVERED, or to FAILED from any non-terminal state. DELIVERED and FAILED
 * are terminal.
 */
export const DELIVERY_STATUSES = ['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DeliveryStatusSchema = Type.Union(DELIVERY_STATUSES.map((status) => Type.Literal(status)));
export const TERMINAL_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['DELIVERED', 'FAILED'];

export const DELIVERY_FAILURE_REASONS = ['BATTERY_DEPLETED', 'DRONE_LOST', 'NO_DRONE_AVAILABLE'] as const;
export const DeliveryFailureReason = Type.Union(DELIVERY_FAILURE_REASONS.map((reason) => Type.Literal(reason)));

/**
 * Delivery accepted a package: drone-sim assigns a drone and flies it from
 * `pickup` to `dropoff`. `deliveryId` is derived from the package id.
 */
export const DeliveryScheduled = defineEvent({
  source: 'delivery',
  type: 'DeliveryScheduled',
  version: 1,
  schema: Type.Object({ deliveryId: Id, packageId: Id, orderId: Id, pickup: GeoPoint, dropoff: GeoPoint }),
});

/**
 * Every forward step of a delivery, CREATED included. Its id is derived from
 * (deliveryId, status), so a repeated step is deduplicated by consumers.
 */
export const DeliveryStatusChanged = defineEvent({
  source: 'delivery',
  type: 'DeliveryStatusChanged',
  version: 1,
  schema: Type.Object({
    deliveryId: Id,
    packageId: Id,
    orderId: Id,
    status: DeliveryStatusSchema,
    /** When the step happened (drone time for telemetry-driven steps). */
    at: Type.String({ format: 'date-time' }),
    droneId: Type.Optional(Id),
    position: Type.Optional(GeoPoint),
    reason: Type.Optional(DeliveryFailureReason),
  }),
});

export const deliveryEvents = [DeliveryScheduled, DeliveryStatusChanged] as const;
