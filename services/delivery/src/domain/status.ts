import type { DeliveryStatus } from '@tributary/contracts';
import { DRONE_PHASES } from '@tributary/contracts';

export type DronePhase = (typeof DRONE_PHASES)[number];

/**
 * The forward order of a delivery's status. DELIVERED and FAILED share the
 * top rank: both are terminal, and whichever comes first wins. The Lua
 * scripts (`store/lua/applyReading-1.lua`, `failSilent-1.lua`) hold the same
 * table; `test/script-model.test.ts` checks that they agree with this module.
 */
export const STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  CREATED: 1,
  PICKED_UP: 2,
  IN_TRANSIT: 3,
  DELIVERED: 4,
  FAILED: 4,
};

/** The successful path, in order: skipped steps are filled from it. */
export const STATUS_PATH: readonly DeliveryStatus[] = ['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED'];

export const isTerminal = (status: DeliveryStatus): boolean => status === 'DELIVERED' || status === 'FAILED';

/**
 * The status a drone phase implies. TO_PICKUP is the drone on its way to
 * the pickup: the delivery is still CREATED (the reading only assigns a drone).
 */
export function phaseStatus(phase: DronePhase): DeliveryStatus {
  return phase === 'TO_PICKUP' ? 'CREATED' : phase;
}

/**
 * The steps a delivery at `current` passes through to reach `target`, in
 * order: none when that would not move it forward, the skipped ones filled
 * in (CREATED -> IN_TRANSIT passes PICKED_UP), FAILED alone.
 */
export function stepsTo(current: DeliveryStatus, target: DeliveryStatus): DeliveryStatus[] {
  if (isTerminal(current) || STATUS_RANK[target] <= STATUS_RANK[current]) return [];
  if (target === 'FAILED') return ['FAILED'];
  return STATUS_PATH.filter((status) => STATUS_RANK[status] > STATUS_RANK[current] && STATUS_RANK[status] <= STATUS_RANK[target]);
}

/** What a reading needs to be applied: newer than the last one, and never a step back. */
export function readingApplies(state: { status: DeliveryStatus; seq: number }, reading: { seq: number; phase: DronePhase }): boolean {
  return !isTerminal(state.status) && reading.seq > state.seq && STATUS_RANK[phaseStatus(reading.phase)] >= STATUS_RANK[state.status];
}

/** Steps in display order (the order they can happen in). */
export function sortSteps<T extends { status: DeliveryStatus }>(steps: T[]): T[] {
  const order = (status: DeliveryStatus) => (status === 'FAILED' ? 5 : STATUS_RANK[status]);
  return [...steps].sort((a, b) => order(a.status) - order(b.status));
}
