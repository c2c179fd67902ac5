import type { SqlExecutor } from './database.ts';
import type { PruneTarget } from './retention.ts';

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
  // The pruner deletes by age (see retention.ts); without this it scans the whole table each round.
  await db.query('CREATE INDEX IF NOT EXISTS tributary_handled_events_handled_at ON tributary_handled_events (handled_at)');
}

/**
 * The prune target of the markers: a marker may go only once no copy of its
 * event can arrive again. `retentionMs` covers a publisher re-sending an
 * event it sent before (an outbox relay that crashed before noting it sent);
 * `holdFrom` covers entries still pending or not yet delivered to the
 * service's groups, however old. See docs/operations.md.
 */
export function handledMarkersTarget(retentionMs: number, holdFrom?: () => Promise<number | null>): PruneTarget {
  return { name: 'handled-markers', table: 'tributary_handled_events', column: 'handled_at', retentionMs, ...(holdFrom ? { holdFrom } : {}) };
}

/** Returns true the first time, false when `group` already handled `eventId`. */
export async function markHandled(tx: SqlExecutor, group: string, eventId: string): Promise<boolean> {
  const result = await tx.query(
    'INSERT INTO tributary_handled_events (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [group, eventId],
  );
  return result.rowCount === 1;
}

/**
 * Marks many events handled in one statement; returns the ids marked now
 * (first time), so the caller applies exactly those. Duplicates in `eventIds`
 * count once.
 */
export async function markHandledMany(tx: SqlExecutor, group: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const result = await tx.query<{ event_id: string }>(
    `INSERT INTO tributary_handled_events (consumer_group, event_id)
     SELECT DISTINCT $1::text, ids.id FROM jsonb_array_elements_text($2::jsonb) AS ids(id)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [group, JSON.stringify(eventIds)],
  );
  return new Set(result.rows.map((row) => row.event_id));
}
