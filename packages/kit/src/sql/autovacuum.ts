import type { Registry } from 'prom-client';
import { periodicJob, type PeriodicJobMeter } from '../telemetry/periodic.ts';

/**
 * PostgreSQL's autovacuum where the database has none: PGlite, which runs
 * Postgres in one process without its background workers, and a server
 * whose operator turned `autovacuum` off (this project's own test machines
 * do). Nothing else would ever vacuum or analyze such a database.
 *
 * Why it matters: a table that was small when a prepared statement was first
 * planned keeps its plan until ANALYZE invalidates it. In the whole system
 * ordering's `UPDATE orders … FROM unnest(…)` went from 1.5 to 8 ms a call
 * within 100 seconds of load (a sequential scan planned when `orders` was
 * empty), and the outbox's "older rows?" probe from 0.8 to 18 ms (the dead
 * index entries of rows inserted and deleted thousands of times a minute):
 * throughput fell from 136 to 87 orders a second (docs/benchmarks.md,
 * eleventh run). On a server with `autovacuum` off the same plans stayed:
 * 4 000 sequential scans of `orders` in 8 500 orders, 225 orders a second
 * where 254 after one `VACUUM ANALYZE` (fourteenth run). A server whose own
 * autovacuum runs does not get this loop (database.ts).
 *
 * Each round reads `pg_stat_user_tables` of the current schema and vacuums
 * or analyzes the tables past PostgreSQL's own default thresholds
 * (`autovacuum_vacuum_threshold` 50 + `autovacuum_vacuum_scale_factor` 0.2
 * of the live rows; 1 000 + 0.2 for inserts; 50 + 0.1 for ANALYZE), one
 * statement per table (on PGlite each waits for its lock like any statement).
 * A service vacuums only what its own role owns: its schema's tables.
 */
export interface Autovacuum {
  /** Reports its rounds (`tributary_periodic_*{job="autovacuum"}`) to this registry (the service's /metrics). */
  meterInto(registry: Registry): void;
  /** One round now: the tables it vacuumed or analyzed (tests). */
  runOnce(): Promise<MaintainedTable[]>;
  /** Stops the loop after the round in progress, if any. */
  stop(): Promise<void>;
}

export interface TableActivity {
  table: string;
  live: number;
  dead: number;
  /** Rows changed since the last ANALYZE. */
  modified: number;
  /** Rows inserted since the last VACUUM. */
  inserted: number;
}

export interface MaintainedTable {
  table: string;
  vacuum: boolean;
  analyze: boolean;
}

/** PostgreSQL's defaults (postgresql.conf, "AUTOVACUUM"). */
const VACUUM_THRESHOLD = 50;
const VACUUM_SCALE = 0.2;
const INSERT_THRESHOLD = 1_000;
const INSERT_SCALE = 0.2;
const ANALYZE_THRESHOLD = 50;
const ANALYZE_SCALE = 0.1;

/** Which tables autovacuum would take now, and for what. */
export function tablesDue(activity: readonly TableActivity[]): MaintainedTable[] {
  const due: MaintainedTable[] = [];
  for (const { table, live, dead, modified, inserted } of activity) {
    const vacuum = dead > VACUUM_THRESHOLD + VACUUM_SCALE * live || inserted > INSERT_THRESHOLD + INSERT_SCALE * live;
    const analyze = modified > ANALYZE_THRESHOLD + ANALYZE_SCALE * live;
    if (vacuum || analyze) due.push({ table, vacuum, analyze });
  }
  return due;
}

/**
 * SKIP_LOCKED: replicas of a service each run this loop on the same tables,
 * and a second VACUUM of a table waits for the first's lock, holding one of
 * its service's pooled connections meanwhile. It skips the table instead;
 * the replica that holds it is doing the work.
 */
function maintenanceStatement({ table, vacuum, analyze }: MaintainedTable): string {
  const name = `"${table.replaceAll('"', '""')}"`;
  if (vacuum && analyze) return `VACUUM (SKIP_LOCKED, ANALYZE) ${name}`;
  return vacuum ? `VACUUM (SKIP_LOCKED) ${name}` : `ANALYZE (SKIP_LOCKED) ${name}`;
}

const ACTIVITY = `SELECT relname AS table, n_live_tup::float8 AS live, n_dead_tup::float8 AS dead,
  n_mod_since_analyze::float8 AS modified, n_ins_since_vacuum::float8 AS inserted
  FROM pg_stat_user_tables WHERE schemaname = current_schema()`;

/** Between rounds: a table churned by a few hundred events a second needs a vacuum within seconds, and a round that finds nothing is one small query. */
export const AUTOVACUUM_INTERVAL_MS = 5_000;

/** What the loop runs its statements on: outside any transaction (VACUUM cannot run inside one). */
export interface MaintainedDatabase {
  query<Row>(text: string): Promise<{ rows: Row[] }>;
  /**
   * PGlite: a backend hands its counts to the statistics only now and then,
   * and PGlite's one backend only when asked (`pg_stat_force_next_flush()`).
   * A server's backends flush their own within a second.
   */
  flushesStatsOnlyWhenAsked: boolean;
}

export function startAutovacuum(db: MaintainedDatabase, options: { intervalMs?: number; onError?: (error: Error) => void } = {}): Autovacuum {
  const intervalMs = options.intervalMs ?? AUTOVACUUM_INTERVAL_MS;
  let meter: PeriodicJobMeter = periodicJob('autovacuum');
  let stopped = false;
  let round: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function runOnce(): Promise<MaintainedTable[]> {
    return meter.run(async (run) => {
      if (db.flushesStatsOnlyWhenAsked) await db.query('SELECT pg_stat_force_next_flush()');
      const { rows } = await db.query<TableActivity>(ACTIVITY);
      const due = tablesDue(rows);
      for (const table of due) {
        if (stopped) break;
        await db.query(maintenanceStatement(table));
      }
      run.items(due.length);
      return due;
    });
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      round = runOnce()
        .catch((error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))))
        .finally(schedule);
    }, intervalMs);
    // A database left open must not keep a process alive for its maintenance.
    timer.unref();
  }
  schedule();

  return {
    meterInto(registry) {
      meter = periodicJob('autovacuum', { registry });
    },
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
