import type { SqlExecutor } from './database.ts';

/**
 * The SQL half of idempotent handling: a row "event X handled by group G"
 * inserted in the same transaction as the handler's effect. If the insert
 * finds the row already there, the event was handled before and the caller
 * skips its effect; a crash before COMMIT leaves neither the row nor the
 * effect, so the redelivered event is handled in full.
 */
export async function ensureHandledTable(db: SqlExecutor): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS tributary_handled_events (
    consumer_group text NOT NULL,
    event_id text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
  )`);
}

/** Returns true the first time, false when `group` already handled `eventId`. */
export async function markHandled(tx: SqlExecutor, group: string, eventId: string): Promise<boolean> {
  const result = await tx.query(
    'INSERT INTO tributary_handled_events (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [group, eventId],
  );
  return result.rowCount === 1;
}
