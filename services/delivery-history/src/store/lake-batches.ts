import { randomUUID } from 'node:crypto';
import type { SqlDatabase, SqlExecutor } from 'tributary/sql';
import type { DeliveryRecord } from '../domain/record.ts';
import { parseRecord } from '../record-schema.ts';
import { RECORD_COLUMNS } from './deliveries.ts';

/** The lake writer's journal in the lookup store; the protocol is in lake/lake-writer.ts. */
export interface ClaimedBatch {
  batchId: string;
  /** True when this is an earlier claim that never reached "written" (a crash), done again. */
  resumed: boolean;
  /** The batch's records, read in the claiming transaction (ordered by id). */
  records: DeliveryRecord[];
}

export interface ClaimOptions {
  size: number;
  /** A batch claimed longer ago than this and still not written is taken over. */
  resumeAfterMs: number;
}

const byId = (a: DeliveryRecord, b: DeliveryRecord) => (a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0);

/**
 * Step 1. In one transaction: take over an unwritten batch whose writer
 * seems gone, or else give a new batch id to up to `size` waiting records
 * (oldest finish first). SKIP LOCKED lets instances claim side by side
 * without waiting for each other. The pick is a materialised CTE, run once:
 * as `IN (subquery)` PostgreSQL may rescan it during the UPDATE, and a rescan
 * skips the rows this very statement just locked and takes the next ones,
 * so a batch grew past `size`. A new batch's records come back from
 * the UPDATE itself (RETURNING), which halved the cost of a claim compared
 * with reading them again by batch id.
 */
export async function claimBatch(db: SqlDatabase, options: ClaimOptions): Promise<ClaimedBatch | null> {
  return db.transaction(async (tx) => {
    const stale = await tx.query<{ batch_id: string }>(
      `SELECT batch_id FROM lake_batches
       WHERE written_at IS NULL AND claimed_at <= now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY claimed_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [options.resumeAfterMs],
    );
    const resumed = stale.rows[0]?.batch_id;
    if (resumed !== undefined) {
      await tx.query('UPDATE lake_batches SET claimed_at = now() WHERE batch_id = $1', [resumed]);
      return { batchId: resumed, resumed: true, records: await batchRecords(tx, resumed) };
    }
    const batchId = randomUUID();
    await tx.query('INSERT INTO lake_batches (batch_id, records) VALUES ($1, 0)', [batchId]);
    const { rows } = await tx.query(
      `WITH picked AS MATERIALIZED (
         SELECT delivery_id AS picked_id FROM deliveries WHERE lake_batch IS NULL ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE deliveries SET lake_batch = $1 FROM picked
       WHERE delivery_id = picked_id AND lake_batch IS NULL
       RETURNING ${RECORD_COLUMNS}`,
      [batchId, options.size],
    );
    if (rows.length === 0) {
      await tx.query('DELETE FROM lake_batches WHERE batch_id = $1', [batchId]);
      return null;
    }
    await tx.query('UPDATE lake_batches SET records = $2 WHERE batch_id = $1', [batchId, rows.length]);
    return { batchId, resumed: false, records: rows.map((row) => parseRecord(row, 'lookup store')).sort(byId) };
  });
}

/**
 * The records of a batch, or none once it is written. A late writer of a
 * batch another instance has finished (and the archiver may have thinned)
 * then writes nothing, instead of overwriting full files with fewer rows.
 * No index on lake_batch: this runs only when a batch is redone, and the
 * index cost every claim more than the scan costs a rare redo.
 */
export async function batchRecords(db: SqlExecutor, batchId: string): Promise<DeliveryRecord[]> {
  const { rows } = await db.query(
    `SELECT ${RECORD_COLUMNS} FROM deliveries
     WHERE lake_batch = $1 AND EXISTS (SELECT 1 FROM lake_batches WHERE batch_id = $1 AND written_at IS NULL)
     ORDER BY delivery_id`,
    [batchId],
  );
  return rows.map((row) => parseRecord(row, 'lookup store'));
}

/** Step 3: from here on the archiver may delete the batch's lookup rows. */
export async function markBatchWritten(db: SqlExecutor, batchId: string): Promise<void> {
  await db.query('UPDATE lake_batches SET written_at = now() WHERE batch_id = $1 AND written_at IS NULL', [batchId]);
}

/** Completed records not yet given to a batch. */
export async function waitingForLake(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries WHERE lake_batch IS NULL');
  return rows[0]?.n ?? 0;
}
