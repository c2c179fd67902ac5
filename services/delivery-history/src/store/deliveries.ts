import type { SqlExecutor } from 'tributary/sql';
import type { DeliveryRecord, Step } from '../domain/record.ts';
import { parseRecord } from '../record-schema.ts';
import { isoTimestamp } from './schema.ts';

/** A record as it leaves SQL: the HTTP and lake shape, checked on the way out. */
export const RECORD_COLUMNS = `delivery_id AS "deliveryId", package_id AS "packageId", order_id AS "orderId", status, reason, steps,
  ${isoTimestamp('started_at')} AS "startedAt", ${isoTimestamp('finished_at')} AS "finishedAt", duration_seconds AS "durationSeconds"`;

/** Which of these deliveries already have their record. */
export async function withRecords(tx: SqlExecutor, deliveryIds: readonly string[]): Promise<Set<string>> {
  if (deliveryIds.length === 0) return new Set();
  const { rows } = await tx.query<{ delivery_id: string }>('SELECT delivery_id FROM deliveries WHERE delivery_id = ANY($1::text[])', [deliveryIds]);
  return new Set(rows.map((row) => row.delivery_id));
}

/**
 * A step that arrives after the record was made (a retried event) joins its
 * steps, but only while the record waits for the lake: once a batch holds
 * it, the record is frozen so a redone batch writes the same rows.
 */
export async function refreshStepsMany(tx: SqlExecutor, steps: ReadonlyMap<string, Step[]>): Promise<void> {
  if (steps.size === 0) return;
  await tx.query(
    `UPDATE deliveries SET steps = u.steps::jsonb FROM unnest($1::text[], $2::text[]) AS u(id, steps)
     WHERE deliveries.delivery_id = u.id AND deliveries.lake_batch IS NULL`,
    [[...steps.keys()], [...steps.values()].map((list) => JSON.stringify(list))],
  );
}

/** Inserts records in one statement; answers the ids written (a record its twin step completed first is left out). */
export async function insertRecords(tx: SqlExecutor, records: readonly DeliveryRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const { rows } = await tx.query<{ delivery_id: string }>(
    `INSERT INTO deliveries (delivery_id, package_id, order_id, status, reason, steps, started_at, finished_at, duration_seconds)
     SELECT u.delivery_id, u.package_id, u.order_id, u.status, u.reason, u.steps::jsonb, u.started_at, u.finished_at, u.duration_seconds
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::float8[])
       AS u(delivery_id, package_id, order_id, status, reason, steps, started_at, finished_at, duration_seconds)
     ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
    [
      records.map((r) => r.deliveryId),
      records.map((r) => r.packageId),
      records.map((r) => r.orderId),
      records.map((r) => r.status),
      records.map((r) => r.reason),
      records.map((r) => JSON.stringify(r.steps)),
      records.map((r) => r.startedAt),
      records.map((r) => r.finishedAt),
      records.map((r) => r.durationSeconds),
    ],
  );
  return new Set(rows.map((row) => row.delivery_id));
}

export async function findRecord(db: SqlExecutor, deliveryId: string): Promise<DeliveryRecord | null> {
  const { rows } = await db.query(`SELECT ${RECORD_COLUMNS} FROM deliveries WHERE delivery_id = $1`, [deliveryId]);
  return rows[0] === undefined ? null : parseRecord(rows[0], 'lookup store');
}
