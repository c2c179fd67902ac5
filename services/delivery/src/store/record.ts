import { DELIVERY_STATUSES } from '@tributary/contracts';
import type { DeliveryRecord, DeliveryStep } from '../domain/delivery.ts';
import { sortSteps } from '../domain/status.ts';
import { parseNumber, parsePoint, parseReason, parseStatus, StoreReplyError } from './replies.ts';

const text = (value: string | undefined): string | null => (value !== undefined && value !== '' ? value : null);

/** A delivery hash read back (HGETALL): null when it does not exist, an error when it is not one we wrote. */
export function parseDeliveryHash(fields: Record<string, string>): DeliveryRecord | null {
  if (Object.keys(fields).length === 0) return null;
  const status = parseStatus(fields.status);
  const seq = parseNumber(fields.seq);
  const heardAtMs = parseNumber(fields.heardAt);
  const pickup = parsePoint(fields.pickupLat, fields.pickupLon);
  const dropoff = parsePoint(fields.dropoffLat, fields.dropoffLon);
  const deliveryId = text(fields.deliveryId);
  const packageId = text(fields.packageId);
  const orderId = text(fields.orderId);
  const createdAt = text(fields.createdAt);
  const updatedAt = text(fields.updatedAt);
  if (
    status === null || seq === null || heardAtMs === null || pickup === null || dropoff === null ||
    deliveryId === null || packageId === null || orderId === null || createdAt === null || updatedAt === null
  ) {
    throw new StoreReplyError('HGETALL', `not a delivery: ${JSON.stringify(fields)}`);
  }
  const steps: DeliveryStep[] = [];
  for (const step of DELIVERY_STATUSES) {
    const at = text(fields[`step:${step}`]);
    if (at !== null) steps.push({ status: step, at });
  }
  return {
    deliveryId,
    packageId,
    orderId,
    status,
    reason: parseReason(fields.reason),
    seq,
    droneId: text(fields.droneId),
    position: parsePoint(fields.lat, fields.lon),
    batteryPct: parseNumber(fields.batteryPct),
    speedMps: parseNumber(fields.speedMps),
    pickup,
    dropoff,
    createdAt,
    updatedAt,
    heardAtMs,
    steps: sortSteps(steps),
  };
}
