import { DELIVERY_STATUSES, TERMINAL_DELIVERY_STATUSES, type DeliveryStatus } from '@tributary/contracts';

export interface Step {
  status: DeliveryStatus;
  /** ISO-8601 UTC with milliseconds, as `Date.toISOString()` writes it. */
  at: string;
}

export interface StoredStep extends Step {
  reason: string | null;
}

export type FinalStatus = 'DELIVERED' | 'FAILED';

/** A finished delivery, as both stores hold it. */
export interface DeliveryRecord {
  deliveryId: string;
  packageId: string;
  orderId: string;
  status: FinalStatus;
  reason: string | null;
  steps: Step[];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
}

export interface DeliveryIds {
  deliveryId: string;
  packageId: string;
  orderId: string;
}

const lifecycle = (status: DeliveryStatus) => DELIVERY_STATUSES.indexOf(status);
const isTerminal = (status: DeliveryStatus): status is FinalStatus => TERMINAL_DELIVERY_STATUSES.includes(status);

/**
 * Timestamps arrive as any RFC 3339 form ("+02:00", microseconds); both
 * stores keep one form so a record read from the lake equals the one read
 * from the lookup store.
 */
export function normalizeInstant(at: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${at}`);
  return new Date(ms).toISOString();
}

/** Steps in the order they happened; equal instants in lifecycle order. */
export function orderSteps<S extends Step>(steps: readonly S[]): S[] {
  return [...steps].sort((a, b) => a.at.localeCompare(b.at) || lifecycle(a.status) - lifecycle(b.status));
}

/**
 * The record, once the delivery is finished: a terminal step and the CREATED
 * step are both known. Steps may arrive in any order (retries, several
 * instances), so whichever of the two arrives last completes the record;
 * until then this answers null. Should both terminal statuses be known, the
 * earlier one is the outcome. A finish before the start (clocks of
 * different machines) counts as a zero duration, never a negative one.
 */
export function completeRecord(ids: DeliveryIds, steps: readonly StoredStep[]): DeliveryRecord | null {
  const ordered = orderSteps(steps);
  const created = ordered.find((step) => step.status === 'CREATED');
  const terminal = ordered.find((step) => isTerminal(step.status));
  if (!created || !terminal || !isTerminal(terminal.status)) return null;
  const durationMs = Date.parse(terminal.at) - Date.parse(created.at);
  return {
    ...ids,
    status: terminal.status,
    reason: terminal.status === 'FAILED' ? (terminal.reason ?? null) : null,
    steps: ordered.map(({ status, at }) => ({ status, at })),
    startedAt: created.at,
    finishedAt: terminal.at,
    durationSeconds: Math.max(0, durationMs) / 1_000,
  };
}
