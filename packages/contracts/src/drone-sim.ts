import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';
import { DeliveryFailureReason } from './delivery.ts';
import { GeoPoint } from './geo.ts';

/** What the drone reports it is doing; delivery maps it onto the delivery's status. */
export const DRONE_PHASES = ['TO_PICKUP', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED', 'FAILED'] as const;

/**
 * One telemetry reading of a drone flying a delivery, at a high rate.
 * `seq` grows by one per reading of a flight, so a consumer can drop a reading
 * that arrives late or twice.
 */
export const DroneTelemetry = defineEvent({
  source: 'drone-sim',
  type: 'DroneTelemetry',
  version: 1,
  schema: Type.Object({
    droneId: Id,
    deliveryId: Id,
    seq: Type.Integer({ minimum: 0 }),
    at: Type.String({ format: 'date-time' }),
    position: GeoPoint,
    batteryPct: Type.Number({ minimum: 0, maximum: 100 }),
    speedMps: Type.Number({ minimum: 0, maximum: 200 }),
    phase: Type.Union(DRONE_PHASES.map((phase) => Type.Literal(phase))),
    /** With phase FAILED. */
    failure: Type.Optional(DeliveryFailureReason),
  }),
});

export const droneSimEvents = [DroneTelemetry] as const;
