import type { SqlDatabase } from 'tributary/sql';
import { ensureHandledTable } from 'tributary/sql';
import { FAILURE_REASONS, ORDER_STATUSES } from '@tributary/contracts';

const inList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * Ordering's tables. The CHECKs repeat the contracts' status and reason
 * lists so a row can never hold a state the machine does not know.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS orders (
    id text PRIMARY KEY,
    user_id text NOT NULL,
    items jsonb NOT NULL,
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    status text NOT NULL CHECK (status IN (${inList(ORDER_STATUSES)})),
    failure_reason text CHECK (failure_reason IN (${inList(FAILURE_REASONS)})),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX IF NOT EXISTS orders_user_created ON orders (user_id, created_at DESC)',
  // The saga timeline: one row per status an order entered, in order.
  `CREATE TABLE IF NOT EXISTS order_history (
    order_id text NOT NULL REFERENCES orders (id),
    seq integer NOT NULL,
    status text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    cause_event_id text,
    PRIMARY KEY (order_id, seq)
  )`,
  // The key row is inserted first in the order's transaction (its unique key
  // decides between concurrent duplicates), so the reference is checked at commit.
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
    key text PRIMARY KEY,
    request_hash text NOT NULL,
    order_id text NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
];

// Two instances starting together on one server would race on CREATE TABLE
// IF NOT EXISTS (a unique violation in pg_type); the lock serialises them.
const SCHEMA_LOCK_KEY = 4_210_771_033;

export async function installSchema(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    for (const statement of STATEMENTS) await tx.query(statement);
    await ensureHandledTable(tx);
  });
}
