import type { SqlDatabase } from 'tributary/sql';

/** Rows deleted per transaction: a month of deliveries must not become one giant transaction. */
const CHUNK = 1_000;

/**
 * Deletes the lookup rows (record and steps) of deliveries that finished
 * before `cutoff` and whose batch is marked written to the lake, and the
 * journal rows of the batches this left empty. Returns how many deliveries
 * were archived. Records still waiting for the lake stay, however old: the
 * lookup store is their only copy.
 *
 * A run costs what it archives, not what is stored: the pick walks the
 * `finished_at` index up to the cutoff, and a batch's journal row counts its
 * records down (`lake_batches.records`) in the transaction that deletes
 * them, so finding the emptied batches reads no other batch and no other
 * record (it used to test every written batch against every record).
 */
export async function deleteArchivable(db: SqlDatabase, cutoff: string): Promise<number> {
  let archived = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ delivery_id: string; lake_batch: string }>(
        `DELETE FROM deliveries WHERE delivery_id IN (
           SELECT d.delivery_id FROM deliveries d JOIN lake_batches b ON b.batch_id = d.lake_batch
           WHERE b.written_at IS NOT NULL AND d.finished_at < $1 LIMIT $2)
         RETURNING delivery_id, lake_batch`,
        [cutoff, CHUNK],
      );
      if (rows.length > 0) {
        await tx.query('DELETE FROM delivery_steps WHERE delivery_id = ANY($1::text[])', [rows.map((row) => row.delivery_id)]);
        const perBatch = new Map<string, number>();
        for (const row of rows) perBatch.set(row.lake_batch, (perBatch.get(row.lake_batch) ?? 0) + 1);
        await tx.query(
          `UPDATE lake_batches b SET records = b.records - gone.n
           FROM unnest($1::text[], $2::int[]) AS gone(batch_id, n) WHERE b.batch_id = gone.batch_id`,
          [[...perBatch.keys()], [...perBatch.values()]],
        );
        await tx.query('DELETE FROM lake_batches WHERE batch_id = ANY($1::text[]) AND records <= 0', [[...perBatch.keys()]]);
      }
      return rows.length;
    });
    archived += deleted;
    if (deleted < CHUNK) break;
  }
  // PGlite runs PostgreSQL in single-user mode, without autovacuum: the
  // archiver is the one regular batch job, so it reclaims the deleted rows
  // and refreshes the planner's statistics (the lake writer's claim is
  // planned from them). A server runs autovacuum itself.
  if (db.kind === 'pglite' && archived > 0) await db.query('VACUUM (ANALYZE) deliveries, delivery_steps, lake_batches');
  return archived;
}
