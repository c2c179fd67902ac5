/**
 * Optional day buckets: besides its all-time board, a leaderboard keeps one
 * board per UTC day. The day comes from the time the caller passes (an event's
 * time), never from the time of handling, so a redelivery lands in the same
 * day as the original.
 */
const DAY_MS = 24 * 60 * 60 * 1000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export type Instant = Date | string | number;

function toDate(at: Instant): Date {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new RangeError(`leaderboard: not a valid time: ${String(at)}`);
  return date;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function dayOf(at: Instant): string {
  return toDate(at).toISOString().slice(0, 10);
}

/** Checks a day given to a query; returns it unchanged. */
export function checkDay(day: string): string {
  if (!DAY_PATTERN.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new RangeError(`leaderboard: day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  return day;
}

/** When a day's board expires: the end of that day plus the retention. */
export function dayExpiresAt(day: string, retainDays: number): number {
  return Date.parse(`${checkDay(day)}T00:00:00Z`) + (1 + retainDays) * DAY_MS;
}
