import type { DeliveryStatus, DELIVERY_FAILURE_REASONS } from '@tributary/contracts';
import type { Point } from './geo.ts';

export type FailureReason = (typeof DELIVERY_FAILURE_REASONS)[number];

export interface DeliveryStep {
  status: DeliveryStatus;
  /** Drone time for telemetry-driven steps, service time for CREATED and DRONE_LOST. */
  at: string;
}

/** The live state of one delivery, as the store holds it. */
export interface DeliveryRecord {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: DeliveryStatus;
  reason: FailureReason | null;
  /** Seq of the last reading applied; -1 before the first. */
  seq: number;
  droneId: string | null;
  position: Point | null;
  batteryPct: number | null;
  speedMps: number | null;
  pickup: Point;
  dropoff: Point;
  createdAt: string;
  updatedAt: string;
  /** Service clock (ms) when the delivery was created or last applied a reading: what the watchdog judges. */
  heardAtMs: number;
  steps: DeliveryStep[];
}
