import { FAILURE_REASONS, ORDER_STATUSES, type OrderStatus } from '@tributary/contracts';
import type { SqlExecutor } from 'tributary/sql';
import type { FailureReason, OrderItem, OrderSnapshot } from '../domain/order-machine.ts';

/**
 * Every statement on ordering's tables. Rows are converted explicitly:
 * bigint leaves the database as text (pg returns int8 as a string, PGlite
 * may not), timestamps as Date or string depending on the driver.
 */

export interface OrderRecord extends OrderSnapshot {
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  status: OrderStatus;
  at: string;
}

interface OrderRow {
  id: string;
  user_id: string;
  items: unknown;
  total_cents: string;
  status: string;
  failure_reason: string | null;
  created_at: unknown;
  updated_at: unknown;
}

const ORDER_COLUMNS = 'id, user_id, items, total_cents::text AS total_cents, status, failure_reason, created_at, updated_at';

function toIso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${String(value)}`);
  return date.toISOString();
}

function toStatus(value: string): OrderStatus {
  const status = ORDER_STATUSES.find((known) => known === value);
  if (!status) throw new Error(`unknown order status in database: ${value}`);
  return status;
}

function toReason(value: string | null): FailureReason | null {
  if (value === null) return null;
  const reason = FAILURE_REASONS.find((known) => known === value);
  if (!reason) throw new Error(`unknown failure reason in database: ${value}`);
  return reason;
}

function toItems(value: unknown): OrderItem[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) throw new Error('order items are not an array');
  return parsed.map((item: Record<string, unknown>) => ({
    productId: String(item.productId),
    quantity: Number(item.quantity),
    unitPriceCents: Number(item.unitPriceCents),
  }));
}

function toOrder(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    userId: row.user_id,
    items: toItems(row.items),
    totalCents: Number(row.total_cents),
    status: toStatus(row.status),
    failureReason: toReason(row.failure_reason),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** Returns false when an order with this id exists already (a checkout delivered twice): nothing is written. */
export async function insertOrder(tx: SqlExecutor, order: OrderSnapshot): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO orders (id, user_id, items, total_cents, status, failure_reason)
     VALUES ($1, $2, $3::jsonb, $4::bigint, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [order.id, order.userId, JSON.stringify(order.items), String(order.totalCents), order.status, order.failureReason],
  );
  return result.rowCount === 1;
}

/**
 * Reads and locks several orders at once, in id order so two batches that
 * share orders lock them in the same order and cannot deadlock.
 */
export async function lockOrders(tx: SqlExecutor, ids: readonly string[]): Promise<Map<string, OrderRecord>> {
  const { rows } = await tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((row) => [row.id, toOrder(row)]));
}

export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  failureReason: FailureReason | null;
  causeEventId: string;
}

/**
 * Applies a batch's transitions in one statement: each order's last status
 * and every timeline row. `changes` is in event order; an order may appear
 * more than once (its rows get consecutive seq numbers after the stored
 * ones). Call with the orders locked.
 */
export async function applyStatusChanges(tx: SqlExecutor, changes: readonly StatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  const last = new Map<string, StatusChange>();
  const ordinal: number[] = [];
  const seen = new Map<string, number>();
  for (const change of changes) {
    last.set(change.orderId, change);
    const n = (seen.get(change.orderId) ?? 0) + 1;
    seen.set(change.orderId, n);
    ordinal.push(n);
  }
  const finals = [...last.values()];
  // A data-modifying WITH runs once, whether or not the INSERT reads it: one
  // round trip instead of two. The subquery sees order_history as it was
  // before the statement, so max(seq) + n numbers this batch's rows after the stored ones.
  await tx.query(
    `WITH statuses AS (
       UPDATE orders SET status = u.status, failure_reason = u.reason, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, status, reason) WHERE orders.id = u.id)
     INSERT INTO order_history (order_id, seq, status, cause_event_id)
     SELECT u.order_id, coalesce((SELECT max(h.seq) FROM order_history h WHERE h.order_id = u.order_id), 0) + u.n, u.status, u.cause
     FROM unnest($4::text[], $5::int[], $6::text[], $7::text[]) AS u(order_id, n, status, cause)`,
    [
      finals.map((change) => change.orderId),
      finals.map((change) => change.status),
      finals.map((change) => change.failureReason),
      changes.map((change) => change.orderId),
      ordinal,
      changes.map((change) => change.status),
      changes.map((change) => change.causeEventId),
    ],
  );
}

/** Appends to the saga timeline; call with the order row locked (or just inserted), which makes `seq` safe. */
export async function appendHistory(tx: SqlExecutor, orderId: string, status: OrderStatus, causeEventId: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO order_history (order_id, seq, status, cause_event_id)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM order_history WHERE order_id = $1`,
    [orderId, status, causeEventId],
  );
}

export async function findOrder(db: SqlExecutor, id: string): Promise<OrderRecord | null> {
  const { rows } = await db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [id]);
  return rows[0] ? toOrder(rows[0]) : null;
}

export type RecordDeliveryOutcome = 'recorded' | 'already-recorded' | 'unknown-order';

/**
 * Stores the delivery flying each order's parcel, once: the first id wins
 * (earlier, or first in `deliveries`; it is derived from the order id
 * upstream, so a second one would be a bug there, not a reason to rewrite
 * the order). One statement for all; answers each order's outcome.
 */
export async function recordDeliveries(
  tx: SqlExecutor,
  deliveries: ReadonlyArray<{ orderId: string; deliveryId: string }>,
): Promise<Map<string, RecordDeliveryOutcome>> {
  if (deliveries.length === 0) return new Map();
  const { rows } = await tx.query<{ order_id: string; known: boolean; recorded: boolean }>(
    `WITH input AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(order_id, delivery_id, n)),
       first AS (SELECT DISTINCT ON (order_id) order_id, delivery_id FROM input ORDER BY order_id, n),
       updated AS (
         UPDATE orders SET delivery_id = first.delivery_id, updated_at = now() FROM first
         WHERE orders.id = first.order_id AND orders.delivery_id IS NULL RETURNING orders.id)
     SELECT first.order_id, orders.id IS NOT NULL AS known, updated.id IS NOT NULL AS recorded
     FROM first LEFT JOIN orders ON orders.id = first.order_id LEFT JOIN updated ON updated.id = first.order_id`,
    [deliveries.map((delivery) => delivery.orderId), deliveries.map((delivery) => delivery.deliveryId)],
  );
  return new Map(rows.map((row) => [row.order_id, row.recorded ? 'recorded' : row.known ? 'already-recorded' : 'unknown-order']));
}

export type OrderWithHistory = OrderRecord & { history: HistoryEntry[]; customerName: string | null; deliveryId: string | null };

/**
 * Orders with their timelines, their customers' names (ordering's copy, null
 * while unknown) and their deliveries (null until scheduled), each row read
 * in one statement so all of an order comes from the same snapshot. Several
 * at once: the long-poll's reads go together (store/order-reads.ts).
 */
export async function findOrdersWithHistory(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, OrderWithHistory>> {
  const { rows } = await db.query<OrderRow & { history: unknown; customer_name: unknown; delivery_id: unknown }>(
    `SELECT ${ORDER_COLUMNS}, delivery_id,
       (SELECT coalesce(json_agg(json_build_object('status', h.status, 'at', h.at) ORDER BY h.seq), '[]'::json)
          FROM order_history h WHERE h.order_id = orders.id) AS history,
       (SELECT c.name FROM customers c WHERE c.user_id = orders.user_id) AS customer_name
     FROM orders WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(
    rows.map((row) => {
      const history: unknown = typeof row.history === 'string' ? JSON.parse(row.history) : row.history;
      if (!Array.isArray(history)) throw new Error('order history is not an array');
      const order: OrderWithHistory = {
        ...toOrder(row),
        customerName: typeof row.customer_name === 'string' ? row.customer_name : null,
        deliveryId: typeof row.delivery_id === 'string' ? row.delivery_id : null,
        history: history.map((entry: { status: string; at: string }) => ({ status: toStatus(entry.status), at: toIso(entry.at) })),
      };
      return [row.id, order];
    }),
  );
}

/** Orders' statuses alone: what a long-poll reads when it starts and each time it wakes untold. */
export async function findOrderStatuses(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, OrderStatus>> {
  const { rows } = await db.query<{ id: string; status: string }>('SELECT id, status FROM orders WHERE id = ANY($1::text[])', [ids]);
  return new Map(rows.map((row) => [row.id, toStatus(row.status)]));
}

export async function ordersOfUser(db: SqlExecutor, userId: string, limit: number): Promise<OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit],
  );
  return rows.map(toOrder);
}

export type KeyClaim = { claimed: true } | { claimed: false; requestHash: string; orderId: string; status: OrderStatus };

/**
 * Claims an Idempotency-Key for a new order. The primary key decides between
 * concurrent requests: on PostgreSQL a second insert of the same key waits for
 * the first transaction and then does nothing, and the following SELECT (a new
 * snapshot under READ COMMITTED) reads the winner.
 */
export async function claimIdempotencyKey(tx: SqlExecutor, key: string, requestHash: string, orderId: string): Promise<KeyClaim> {
  const inserted = await tx.query(
    'INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
    [key, requestHash, orderId],
  );
  if (inserted.rowCount === 1) return { claimed: true };
  const { rows } = await tx.query<{ request_hash: string; order_id: string; status: string }>(
    `SELECT k.request_hash, k.order_id, o.status FROM idempotency_keys k JOIN orders o ON o.id = k.order_id WHERE k.key = $1`,
    [key],
  );
  const winner = rows[0];
  if (!winner) throw new Error(`idempotency key vanished while claiming it`);
  return { claimed: false, requestHash: winner.request_hash, orderId: winner.order_id, status: toStatus(winner.status) };
}

/**
 * Claims many keys in one statement; returns the order ids whose key was
 * claimed now. Of two claims of one key in the same call, the first wins.
 */
export async function claimIdempotencyKeys(
  tx: SqlExecutor,
  claims: ReadonlyArray<{ key: string; requestHash: string; orderId: string }>,
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const { rows } = await tx.query<{ order_id: string }>(
    `INSERT INTO idempotency_keys (key, request_hash, order_id)
     SELECT DISTINCT ON (key) key, request_hash, order_id
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(key, request_hash, order_id, n) ORDER BY key, n
     ON CONFLICT (key) DO NOTHING RETURNING order_id`,
    [claims.map((claim) => claim.key), claims.map((claim) => claim.requestHash), claims.map((claim) => claim.orderId)],
  );
  return new Set(rows.map((row) => row.order_id));
}

/** Who holds each of these keys: the request it was claimed for and that order's status now. */
export async function findKeyOwners(
  tx: SqlExecutor,
  keys: readonly string[],
): Promise<Map<string, { requestHash: string; orderId: string; status: OrderStatus }>> {
  if (keys.length === 0) return new Map();
  const { rows } = await tx.query<{ key: string; request_hash: string; order_id: string; status: string }>(
    `SELECT k.key, k.request_hash, k.order_id, o.status FROM idempotency_keys k JOIN orders o ON o.id = k.order_id WHERE k.key = ANY($1::text[])`,
    [keys],
  );
  return new Map(rows.map((row) => [row.key, { requestHash: row.request_hash, orderId: row.order_id, status: toStatus(row.status) }]));
}

/** Inserts new orders (fresh ids) and the first timeline row of each: one statement for all (a data-modifying WITH runs once). */
export async function insertNewOrders(tx: SqlExecutor, orders: readonly OrderSnapshot[]): Promise<void> {
  if (orders.length === 0) return;
  await tx.query(
    `WITH inserted AS (
       INSERT INTO orders (id, user_id, items, total_cents, status, failure_reason)
       SELECT u.id, u.user_id, u.items::jsonb, u.total_cents::bigint, u.status, u.reason
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, user_id, items, total_cents, status, reason))
     INSERT INTO order_history (order_id, seq, status, cause_event_id)
     SELECT u.id, 1, u.status, NULL FROM unnest($1::text[], $5::text[]) AS u(id, status)`,
    [
      orders.map((order) => order.id),
      orders.map((order) => order.userId),
      orders.map((order) => JSON.stringify(order.items)),
      orders.map((order) => String(order.totalCents)),
      orders.map((order) => order.status),
      orders.map((order) => order.failureReason),
    ],
  );
}

/** Counts rows, for tests and the "nothing written" checks. */
export async function countRows(db: SqlExecutor): Promise<{ orders: number; history: number; keys: number }> {
  const { rows } = await db.query<{ orders: number; history: number; keys: number }>(
    `SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM order_history)::int AS history,
            (SELECT count(*) FROM idempotency_keys)::int AS keys`,
  );
  return rows[0] ?? { orders: 0, history: 0, keys: 0 };
}
