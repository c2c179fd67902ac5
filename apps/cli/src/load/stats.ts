export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentiles of `values` (milliseconds, rounded to 0.1). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number) * 10) / 10);
  return { count: sorted.length, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: at(100) };
}

/** Counts by key: answers by HTTP status, final orders by status. */
export class Counts {
  readonly byKey: Record<string, number> = {};
  add(key: string): void {
    this.byKey[key] = (this.byKey[key] ?? 0) + 1;
  }
  get total(): number {
    return Object.values(this.byKey).reduce((sum, count) => sum + count, 0);
  }
  where(test: (key: string) => boolean): number {
    return Object.entries(this.byKey).reduce((sum, [key, count]) => (test(key) ? sum + count : sum), 0);
  }
}

export const rate = (count: number, seconds: number) => (seconds > 0 ? Math.round((count / seconds) * 100) / 100 : 0);
