import { FAILURE_REASONS } from '@tributary/contracts';

/** The book's OrderFailureMonitoring: how many orders failed, and why. Pure, no I/O. */
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface RecentFailure {
  orderId: string;
  reason: FailureReason;
  /** When the failure happened (the time of the ordering event). */
  at: string;
}

export interface FailureReport {
  counts: Record<FailureReason, number>;
  total: number;
  recent: RecentFailure[];
}

/** How many recent failures are kept: enough for a dashboard, bounded memory. */
export const RECENT_FAILURES_LIMIT = 100;

const isReason = (value: unknown): value is FailureReason => FAILURE_REASONS.some((reason) => reason === value);

/** Every known reason appears, zeros included, so a dashboard never has to guess a missing key. */
export function summarize(rawCounts: Readonly<Record<string, string | number>>, recent: readonly RecentFailure[]): FailureReport {
  const counts = Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, Number(rawCounts[reason] ?? 0)])) as Record<FailureReason, number>;
  const total = FAILURE_REASONS.reduce((sum, reason) => sum + counts[reason], 0);
  return { counts, total, recent: [...recent] };
}

/** Parses one stored recent entry; a malformed one is dropped rather than failing the whole report. */
export function parseRecentFailure(raw: string): RecentFailure | null {
  try {
    const value = JSON.parse(raw) as Partial<RecentFailure>;
    if (typeof value.orderId !== 'string' || !isReason(value.reason) || typeof value.at !== 'string') return null;
    return { orderId: value.orderId, reason: value.reason, at: value.at };
  } catch {
    return null;
  }
}
