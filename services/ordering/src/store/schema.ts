import { ensureHandledTable, type SqlExecutor } from 'tributary/sql';
import { FAILURE_REASONS, ORDER_STATUSES, TERMINAL_STATUSES } from '@tributary/contracts';

const inList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/** The statuses an order waits in for another service's answer. */
export const OPEN_STATUSES = ORDER_STATUSES.filter((status) => !TERMINAL_STATUSES.includes(status));

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
  // Keys are pruned by age (IDEMPOTENCY_KEY_RETENTION_MS): the index keeps a prune round from scanning them all.
  'CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)',
  // Databases created before a reason was added keep the CHECK they were made with:
  // it is replaced with the current list. NOT VALID: rows already there were checked on write.
  'ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_failure_reason_check',
  `ALTER TABLE orders ADD CONSTRAINT orders_failure_reason_check CHECK (failure_reason IN (${inList(FAILURE_REASONS)})) NOT VALID`,
  // Stuck orders (stuck.ts) are found by age among the open ones only: a small index, whatever the history holds.
  `CREATE INDEX IF NOT EXISTS orders_open_updated ON orders (updated_at) WHERE status IN (${inList(OPEN_STATUSES)})`,
  // Ordering's own copy of its customers' names and addresses (from accounts'
  // events), so an order can show its customer and ship without asking
  // accounts. <field>_at_* is the stream position of the event that wrote the
  // field: an older event retried late never overwrites a newer value. Each
  // field has its own position because a profile change carries only the
  // fields that changed; a null position means "never heard of".
  `CREATE TABLE IF NOT EXISTS customers (
    user_id text PRIMARY KEY,
    name text,
    name_at_ms numeric(20, 0),
    name_at_seq numeric(20, 0),
    address text,
    address_at_ms numeric(20, 0),
    address_at_seq numeric(20, 0),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // Databases created before addresses were copied: a row may now start from
  // an address-only change, so the name is no longer required.
  'ALTER TABLE customers ALTER COLUMN name DROP NOT NULL',
  'ALTER TABLE customers ALTER COLUMN name_at_ms DROP NOT NULL',
  'ALTER TABLE customers ALTER COLUMN name_at_seq DROP NOT NULL',
  'ALTER TABLE customers ADD COLUMN IF NOT EXISTS address text',
  'ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_at_ms numeric(20, 0)',
  'ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_at_seq numeric(20, 0)',
  // The delivery flying the order's parcel (delivery's DeliveryScheduled); null until then.
  'ALTER TABLE orders ADD COLUMN IF NOT EXISTS delivery_id text',
  // Ordering's copy of catalog prices (from ProductCreated / ProductChanged),
  // so an order is priced without a call to the catalog. price_at_* is the
  // stream position of the event that set the price, as for customers.
  `CREATE TABLE IF NOT EXISTS catalog_products (
    product_id text PRIMARY KEY,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    price_at_ms numeric(20, 0) NOT NULL,
    price_at_seq numeric(20, 0) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

/** Its tables (run it inside `installTables`, which keeps two instances from racing). */
export async function installSchema(db: SqlExecutor): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
  await ensureHandledTable(db);
}
