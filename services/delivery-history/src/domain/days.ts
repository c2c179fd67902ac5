/**
 * Calendar days (UTC) as `YYYY-MM-DD`: the lake's partition key and the
 * analytics range. Every path into the lake is built from a day that passed
 * `parseDay`, so no request text ever reaches a file name.
 */
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

export type Day = string & { readonly __day: unique symbol };

/** The day, or null when the text is not a real calendar date ("2024-02-30"). */
export function parseDay(text: string): Day | null {
  const match = DAY.exec(text);
  if (!match) return null;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? (text as Day) : null;
}

/** The UTC day of an instant. */
export function dayOf(instant: string | Date): Day {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${String(instant)}`);
  return date.toISOString().slice(0, 10) as Day;
}

/** Days from `from` to `to`, both included (`from <= to`). */
export function daySpan(from: Day, to: Day): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / MS_PER_DAY) + 1;
}

export function daysBetween(from: Day, to: Day): Day[] {
  const days: Day[] = [];
  for (let ms = Date.parse(from); ms <= Date.parse(to); ms += MS_PER_DAY) days.push(dayOf(new Date(ms)));
  return days;
}

/** The Hive-style directory names of a day: `year=2024`, `month=03`, `day=01`. */
export function partitionSegments(day: Day): [string, string, string] {
  return [`year=${day.slice(0, 4)}`, `month=${day.slice(5, 7)}`, `day=${day.slice(8, 10)}`];
}
