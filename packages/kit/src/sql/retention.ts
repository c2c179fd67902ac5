import type { Registry } from 'prom-client';
import { periodicJob } from '../telemetry/periodic.ts';
import type { SqlExecutor } from './database.ts';
import { TributaryError } from '../errors.ts';

/** Rows deleted by one statement: small, so a prune never holds a lock long or fills the WAL in one go. */
export const PRUNE_BATCH_ROWS = 500;
/** Batches per round at most: a backlog (first run after an upgrade) is worked off over several rounds. */
const MAX_BATCHES_PER_ROUND = 20;
/**
 * The pause before the next round when a target used its whole budget: at
 * 73 orders/s ordering writes about 20 000 markers a minute, twice what one
 * round a minute may remove (the 10-minute soak, docs/benchmarks.md), and
 * the table grew without bound. Rounds follow each other this closely until
 * the backlog is gone, each still small.
 */
export const CATCH_UP_MS = 1_000;

/** A table of bookkeeping rows that may go once `column` is older than the cutoff. */
export interface PruneTarget {
  /** The name in logs and span attributes (`handled-markers`, `idempotency-keys`). */
  name: string;
  table: string;
  /** A timestamptz column, indexed, set when the row was written. */
  column: string;
  retentionMs: number;
  /**
   * A later bound than `now - retentionMs` may not be passed: rows written at
   * or after this time (ms) stay whatever their age. Null: no bound. Handled
   * markers use the oldest entry the service's groups may still be delivered
   * (see ServiceConsumers.unsettledSince).
   */
  holdFrom?: () => Promise<number | null>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Deletes up to `batchRows` rows of `table` whose `column` is before
 * `cutoffMs`, by ctid so the statement stops after one small batch (a plain
 * DELETE … WHERE has no LIMIT in PostgreSQL). Returns how many went.
 */
export async function pruneBatch(db: SqlExecutor, table: string, column: string, cutoffMs: number, batchRows = PRUNE_BATCH_ROWS): Promise<number> {
  if (!IDENTIFIER.test(table) || !IDENTIFIER.test(column)) throw new TributaryError('TRIB_BAD_ARGUMENTS', `not a plain identifier: ${table}.${column}`);
  const result = await db.query(
    `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${column} < to_timestamp($1::double precision / 1000) LIMIT ${batchRows})`,
    [cutoffMs],
  );
  return result.rowCount;
}

/** The time before which `target`'s rows may go now: the older of its window and its hold. */
export async function pruneCutoff(target: PruneTarget, now = Date.now()): Promise<number> {
  const byAge = now - target.retentionMs;
  const hold = target.holdFrom ? await target.holdFrom() : null;
  return hold === null ? byAge : Math.min(byAge, hold);
}

/** One round over `target`: batches until one comes back short or the round's budget is spent. */
export async function pruneTarget(db: SqlExecutor, target: PruneTarget, options: { batchRows?: number; now?: number } = {}): Promise<number> {
  const cutoff = await pruneCutoff(target, options.now);
  const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_ROUND; batch += 1) {
    const count = await pruneBatch(db, target.table, target.column, cutoff, batchRows);
    removed += count;
    if (count < batchRows) break;
  }
  return removed;
}

/**
 * Prunes bookkeeping tables every `intervalMs` (default one minute), one
 * target after another, as the periodic job `sql-prune` (run time and rows
 * removed in /metrics); again after CATCH_UP_MS while a round used a
 * target's whole budget. A failed target is reported and tried next round.
 */
export function startSqlPruner(options: {
  db: SqlExecutor;
  targets: readonly PruneTarget[];
  intervalMs?: number;
  registry?: Registry;
  onError?: (error: Error, target: string) => void;
}): { close(): Promise<void>; runOnce(): Promise<number> } {
  const meter = periodicJob('sql-prune', options.registry ? { registry: options.registry } : {});
  let running: Promise<number> | null = null;
  // Whether the last round left rows it had no budget for.
  let behind = false;
  const round = () =>
    meter.run(async (run) => {
      let total = 0;
      behind = false;
      for (const target of options.targets) {
        try {
          const removed = await pruneTarget(options.db, target);
          run.note(target.name, removed);
          run.items(removed);
          total += removed;
          if (removed >= MAX_BATCHES_PER_ROUND * PRUNE_BATCH_ROWS) behind = true;
        } catch (error) {
          options.onError?.(error as Error, target.name);
        }
      }
      return total;
    });
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const intervalMs = options.intervalMs ?? 60_000;
  function schedule(delayMs: number) {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void runOnce().catch(() => undefined), delayMs);
    timer.unref();
  }
  // One round at a time: a slow round is not overtaken by the next tick. Each
  // round, timed or asked for, sets the next: soon while it ended behind.
  const runOnce = () => {
    running ??= round().finally(() => {
      running = null;
      schedule(behind ? CATCH_UP_MS : intervalMs);
    });
    return running;
  };
  schedule(intervalMs);
  return {
    // Waits for a round in progress, so the service closes its database after the pruner's last statement.
    async close() {
      closed = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
    runOnce,
  };
}
