import { DELIVERY_STATUSES, type DeliveryStatus } from '@tributary/contracts';
import type { SqlExecutor } from 'tributary/sql';
import type { DeliveryIds, StoredStep } from '../domain/record.ts';
import { isoTimestamp } from './schema.ts';

export interface NewStep extends DeliveryIds, StoredStep {}

/**
 * Serialises the handlers of one delivery until COMMIT. Without it, two
 * instances storing CREATED and DELIVERED at once would each miss the
 * other's uncommitted step, and neither would complete the record.
 */
export async function lockDelivery(tx: SqlExecutor, deliveryId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`delivery-history:${deliveryId}`]);
}

/** False when this status of this delivery was already stored: the first report of a step wins. */
export async function insertStep(tx: SqlExecutor, step: NewStep): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO delivery_steps (delivery_id, status, at, package_id, order_id, reason)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, status) DO NOTHING`,
    [step.deliveryId, step.status, step.at, step.packageId, step.orderId, step.reason],
  );
  return result.rowCount === 1;
}

interface StepRow {
  status: string;
  at: string;
  reason: string | null;
}

const isStatus = (value: string): value is DeliveryStatus => (DELIVERY_STATUSES as readonly string[]).includes(value);

export async function stepsOf(tx: SqlExecutor, deliveryId: string): Promise<StoredStep[]> {
  const { rows } = await tx.query<StepRow>(
    `SELECT status, ${isoTimestamp('at')} AS at, reason FROM delivery_steps WHERE delivery_id = $1`,
    [deliveryId],
  );
  return rows.map((row) => {
    if (!isStatus(row.status)) throw new Error(`delivery_steps: unknown status ${JSON.stringify(row.status)} for ${deliveryId}`);
    return { status: row.status, at: row.at, reason: row.reason };
  });
}
