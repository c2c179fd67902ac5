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

/** `forUpdate` locks the row; take the user's lock first (see handlers) so locks are always taken in one order. */
export async function findReservation(tx: SqlExecutor, orderId: string, options: { forUpdate?: boolean } = {}): Promise<StoredReservation | null> {
  const { rows } = await tx.query<ReservationRow>(
    `SELECT ${COLUMNS} FROM reservations WHERE order_id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [orderId],
  );
  return rows[0] ? toReservation(rows[0]) : null;
}

/** Returns false when the order already has a reservation (nothing was written). */
export async function insertReservation(tx: SqlExecutor, reservation: StoredReservation): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO reservations (order_id, user_id, amount_cents, status) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING`,
    [reservation.orderId, reservation.userId, reservation.amountCents, reservation.status],
  );
  return result.rowCount === 1;
}

export async function setReservationStatus(tx: SqlExecutor, orderId: string, status: ReservationStatus): Promise<void> {
  await tx.query('UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1', [orderId, status]);
}
