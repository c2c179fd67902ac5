import type { SqlExecutor } from 'tributary/sql';
import { RESERVATION_STATUSES, type Reservation, type ReservationStatus } from '../domain/payments.ts';

export interface StoredReservation extends Reservation {
  orderId: string;
  userId: string;
}

interface ReservationRow {
  order_id: string;
  user_id: string;
  amount_cents: string;
  status: string;
}

function toStatus(value: string): ReservationStatus {
  const status = RESERVATION_STATUSES.find((known) => known === value);
  if (!status) throw new Error(`unknown reservation status "${value}"`);
  return status;
}

const toReservation = (row: ReservationRow): StoredReservation => ({
  orderId: row.order_id,
  userId: row.user_id,
  amountCents: Number(row.amount_cents),
  status: toStatus(row.status),
});

const COLUMNS = 'order_id, user_id, amount_cents::text AS amount_cents, status';

/**
 * Several reservations at once; `forUpdate` locks them in order id order (take
 * the users' locks first, see handlers), so two batches cannot deadlock.
 */
export async function findReservations(tx: SqlExecutor, orderIds: readonly string[], options: { forUpdate?: boolean } = {}): Promise<Map<string, StoredReservation>> {
  if (orderIds.length === 0) return new Map();
  const { rows } = await tx.query<ReservationRow>(
    `SELECT ${COLUMNS} FROM reservations WHERE order_id = ANY($1::text[])${options.forUpdate ? ' ORDER BY order_id FOR UPDATE' : ''}`,
    [orderIds],
  );
  return new Map(rows.map((row) => [row.order_id, toReservation(row)]));
}

/** One statement for many; answers the order ids that were written (an order that had a reservation already is left out). */
export async function insertReservations(tx: SqlExecutor, reservations: readonly StoredReservation[]): Promise<Set<string>> {
  if (reservations.length === 0) return new Set();
  const { rows } = await tx.query<{ order_id: string }>(
    `INSERT INTO reservations (order_id, user_id, amount_cents, status)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [reservations.map((r) => r.orderId), reservations.map((r) => r.userId), reservations.map((r) => r.amountCents), reservations.map((r) => r.status)],
  );
  return new Set(rows.map((row) => row.order_id));
}

export async function setReservationStatuses(tx: SqlExecutor, statuses: ReadonlyMap<string, ReservationStatus>): Promise<void> {
  if (statuses.size === 0) return;
  await tx.query(
    `UPDATE reservations SET status = u.status, updated_at = now()
     FROM unnest($1::text[], $2::text[]) AS u(order_id, status) WHERE reservations.order_id = u.order_id`,
    [[...statuses.keys()], [...statuses.values()]],
  );
}
