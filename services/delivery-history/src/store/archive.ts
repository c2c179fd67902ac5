import type { SqlDatabase } from 'tributary/sql';

/** Rows deleted per transaction: a month of deliveries must not become one giant transaction. */
const CHUNK = 1_000;

/**
 * Deletes the lookup rows (record and steps) of deliveries that finished
 * before `cutoff` and whose batch is marked written to the lake, then the
 * journal rows of batches left without records. Returns how many
 * deliveries were archived. Records still waiting for the lake stay,
 * however old: the lookup store is their only copy.
 */
export async function deleteArchivable(db: SqlDatabase, cutoff: string): Promise<number> {
  let archived = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ delivery_id: string }>(
        `DELETE FROM deliveries WHERE delivery_id IN (
           SELECT d.delivery_id FROM deliveries d JOIN lake_batches b ON b.batch_id = d.lake_batch
           WHERE b.written_at IS NOT NULL AND d.finished_at < $1 LIMIT $2)
         RETURNING delivery_id`,
        [cutoff, CHUNK],
      );
      if (rows.length > 0) {
        await tx.query('DELETE FROM delivery_steps WHERE delivery_id = ANY($1::text[])', [rows.map((row) => row.delivery_id)]);
      }
      return rows.length;
    });
    archived += deleted;
    if (deleted < CHUNK) break;
  }
  await db.query(
    `DELETE FROM lake_batches b WHERE b.written_at IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.lake_batch = b.batch_id)`,
  );
  // PGlite runs PostgreSQL in single-user mode, without autovacuum: the
  // archiver is the one regular batch job, so it reclaims the deleted rows
  // and refreshes the planner's statistics (the lake writer's claim is
  // planned from them). A server runs autovacuum itself.
  if (db.kind === 'pglite' && archived > 0) await db.query('VACUUM (ANALYZE) deliveries, delivery_steps, lake_batches');
  return archived;
}
