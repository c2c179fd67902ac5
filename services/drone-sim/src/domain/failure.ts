import { createHash } from 'node:crypto';

export type FailureKind = 'BATTERY_DEPLETED' | 'DRONE_LOST';

export interface Failure {
  kind: FailureKind;
  /** How far through the flight's readings it happens, in [MIN_FAILURE_POINT, MAX_FAILURE_POINT]. */
  point: number;
}

/** Failures happen mid-flight: the drone has been heard from, and has not arrived. */
export const MIN_FAILURE_POINT = 0.2;
export const MAX_FAILURE_POINT = 0.8;

/** Three independent uniform numbers in [0, 1) from one digest. */
function uniforms(deliveryId: string, seed: string): [number, number, number] {
  const digest = createHash('sha256').update(seed).update('\u0000').update(deliveryId).digest();
  const at = (offset: number) => digest.readUInt32BE(offset) / 2 ** 32;
  return [at(0), at(4), at(8)];
}

/**
 * Whether the flight of a delivery fails, and how: a function of the delivery
 * id and the seed only, so a redelivered job (or a restarted simulator) flies
 * the same story. The draw is in [0, 1), so rate 0 never fails and rate 1
 * always does, exactly. Half the failures are battery deaths, half lost drones.
 */
export function failureOf(deliveryId: string, options: { rate: number; seed: string }): Failure | null {
  const [fails, kind, point] = uniforms(deliveryId, options.seed);
  if (!(fails < options.rate)) return null;
  return {
    kind: kind < 0.5 ? 'BATTERY_DEPLETED' : 'DRONE_LOST',
    point: MIN_FAILURE_POINT + point * (MAX_FAILURE_POINT - MIN_FAILURE_POINT),
  };
}
