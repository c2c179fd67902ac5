import type { SqlExecutor } from 'tributary/sql';
import type { DeliveryRecord, Step } from '../domain/record.ts';
import { parseRecord } from '../record-schema.ts';
import { isoTimestamp } from './schema.ts';

/** A record as it leaves SQL: the HTTP and lake shape, checked on the way out. */
export const RECORD_COLUMNS = `delivery_id AS "deliveryId", package_id AS "packageId", order_id AS "orderId", status, reason, steps,
  ${isoTimestamp('started_at')} AS "startedAt", ${isoTimestamp('finished_at')} AS "finishedAt", duration_seconds AS "durationSeconds"`;

/** False when the delivery already has its record (its twin step completed it first). */
export async function insertRecord(tx: SqlExecutor, record: DeliveryRecord): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO deliveries (delivery_id, package_id, order_id, status, reason, steps, started_at, finished_at, duration_seconds)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (delivery_id) DO NOTHING`,
    [record.deliveryId, record.packageId, record.orderId, record.status, record.reason, JSON.stringify(record.steps), record.startedAt, record.finishedAt, record.durationSeconds],
  );
  return result.rowCount === 1;
}

export async function hasRecord(tx: SqlExecutor, deliveryId: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM deliveries WHERE delivery_id = $1', [deliveryId]);
  return rows.length > 0;
}

/**
 * A step that arrives after the record was made (a retried event) joins its
 * steps, but only while the record waits for the lake: once a batch holds
 * it, the record is frozen so a redone batch writes the same rows.
 */
export async function refreshSteps(tx: SqlExecutor, deliveryId: string, steps: Step[]): Promise<void> {
  await tx.query('UPDATE deliveries SET steps = $2 WHERE delivery_id = $1 AND lake_batch IS NULL', [deliveryId, JSON.stringify(steps)]);
}

export async function findRecord(db: SqlExecutor, deliveryId: string): Promise<DeliveryRecord | null> {
  const { rows } = await db.query(`SELECT ${RECORD_COLUMNS} FROM deliveries WHERE delivery_id = $1`, [deliveryId]);
  return rows[0] === undefined ? null : parseRecord(rows[0], 'lookup store');
}
