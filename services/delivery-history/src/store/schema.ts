import type { SqlExecutor } from 'tributary/sql';

/**
 * The lookup store. `delivery_steps` holds every step as it arrives (the
 * primary key makes a repeated step a no-op); `deliveries` holds a record
 * once the delivery is finished; `lake_batches` is the lake writer's journal
 * (see lake/lake-writer.ts for the protocol). Ids are text: a malformed id in
 * a request is "not found", never a cast error.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS delivery_steps (
    delivery_id text NOT NULL,
    status text NOT NULL,
    at timestamptz NOT NULL,
    package_id text NOT NULL,
    order_id text NOT NULL,
    reason text,
    PRIMARY KEY (delivery_id, status)
  )`,
  `CREATE TABLE IF NOT EXISTS lake_batches (
    batch_id text PRIMARY KEY,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    written_at timestamptz,
    records integer NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS lake_batches_unwritten ON lake_batches (claimed_at) WHERE written_at IS NULL',
  `CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id text PRIMARY KEY,
    package_id text NOT NULL,
    order_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('DELIVERED', 'FAILED')),
    reason text,
    steps jsonb NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    duration_seconds double precision NOT NULL CHECK (duration_seconds >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- No foreign key: only claimBatch sets it, and the check cost every claim and every batch the archiver removes.
    lake_batch text
  )`,
  // The lake writer's queue: only records still waiting are in this index.
  'CREATE INDEX IF NOT EXISTS deliveries_waiting_for_lake ON deliveries (finished_at) WHERE lake_batch IS NULL',
  'CREATE INDEX IF NOT EXISTS deliveries_finished_at ON deliveries (finished_at)',
];

export async function installSchema(db: SqlExecutor): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
}

/** Timestamps leave SQL as ISO-8601 UTC text, identical on PGlite and pg. */
export const isoTimestamp = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
