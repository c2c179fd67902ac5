import type { DeliveryStatus } from '@tributary/contracts';
import { distanceKm, type Point } from './geo.ts';
import { isTerminal } from './status.ts';

export interface EtaInput {
  status: DeliveryStatus;
  position: Point | null;
  speedMps: number | null;
  pickup: Point;
  dropoff: Point;
}

/**
 * Seconds until the drone reaches the dropoff at its last reported speed:
 * still CREATED, it flies to the pickup first. Null when there is nothing to
 * estimate from (no position yet, hovering, or finished).
 */
export function etaSeconds(input: EtaInput): number | null {
  const { status, position, speedMps } = input;
  if (isTerminal(status) || position === null || speedMps === null || speedMps <= 0) return null;
  const remainingKm = status === 'CREATED'
    ? distanceKm(position, input.pickup) + distanceKm(input.pickup, input.dropoff)
    : distanceKm(position, input.dropoff);
  return Math.ceil((remainingKm * 1_000) / speedMps);
}
