import { DELIVERY_STATUSES, type DeliveryStatus } from '@tributary/contracts';
import type { SqlExecutor } from 'tributary/sql';
import type { DeliveryIds, StoredStep } from '../domain/record.ts';
import { isoTimestamp } from './schema.ts';

export interface NewStep extends DeliveryIds, StoredStep {}

interface StepRow {
  status: string;
  at: string;
  reason: string | null;
}

const isStatus = (value: string): value is DeliveryStatus => (DELIVERY_STATUSES as readonly string[]).includes(value);

/**
 * Serialises the handlers of these deliveries until COMMIT. Without it, two
 * instances storing CREATED and DELIVERED at once would each miss the
 * other's uncommitted step, and neither would complete the record. Taken in
 * id order, so two batches sharing deliveries cannot deadlock.
 */
export async function lockDeliveries(tx: SqlExecutor, deliveryIds: readonly string[]): Promise<void> {
  const sorted = [...new Set(deliveryIds)].sort();
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(\'delivery-history:\' || id, 0)) FROM unnest($1::text[]) AS id', [sorted]);
}

/** Key of a stored step in the set insertSteps answers. */
export const stepKey = (deliveryId: string, status: string): string => `${deliveryId}\u0000${status}`;

/**
 * Stores steps in one statement, in the order given: of two reports of one
 * step (earlier or in this batch), the first wins. Answers the keys (stepKey) of the
 * steps that were new.
 */
export async function insertSteps(tx: SqlExecutor, steps: readonly NewStep[]): Promise<Set<string>> {
  if (steps.length === 0) return new Set();
  const { rows } = await tx.query<{ delivery_id: string; status: string }>(
    `INSERT INTO delivery_steps (delivery_id, status, at, package_id, order_id, reason)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT (delivery_id, status) DO NOTHING RETURNING delivery_id, status`,
    [
      steps.map((step) => step.deliveryId),
      steps.map((step) => step.status),
      steps.map((step) => step.at),
      steps.map((step) => step.packageId),
      steps.map((step) => step.orderId),
      steps.map((step) => step.reason),
    ],
  );
  return new Set(rows.map((row) => stepKey(row.delivery_id, row.status)));
}

/** Every stored step of these deliveries, in one statement. */
export async function stepsOfMany(tx: SqlExecutor, deliveryIds: readonly string[]): Promise<Map<string, StoredStep[]>> {
  const steps = new Map<string, StoredStep[]>(deliveryIds.map((id) => [id, []]));
  if (deliveryIds.length === 0) return steps;
  const { rows } = await tx.query<StepRow & { delivery_id: string }>(
    `SELECT delivery_id, status, ${isoTimestamp('at')} AS at, reason FROM delivery_steps WHERE delivery_id = ANY($1::text[])`,
    [deliveryIds],
  );
  for (const row of rows) {
    if (!isStatus(row.status)) throw new Error(`delivery_steps: unknown status ${JSON.stringify(row.status)} for ${row.delivery_id}`);
    steps.get(row.delivery_id)?.push({ status: row.status, at: row.at, reason: row.reason });
  }
  return steps;
}
