import { ensureHandledTable, type SqlDatabase } from 'tributary/sql';

/**
 * PostgreSQL as a document store (the guide's Package service: document data,
 * high write rate, lookup by id, no joins): one JSONB document per package,
 * keyed by its id. The GIN index (jsonb_path_ops: smaller and faster than the
 * default opclass, and `@>` is the only operator it needs) serves the listing
 * by tag, `doc -> 'tags' @> '["heavy"]'`.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS packages (
    id text PRIMARY KEY,
    doc jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX IF NOT EXISTS packages_tags ON packages USING gin ((doc -> 'tags') jsonb_path_ops)`,
];

// Two instances starting together on one server would race on CREATE TABLE
// IF NOT EXISTS (a unique violation in pg_type); the lock serialises them.
const SCHEMA_LOCK_KEY = 5_180_224_907;

export async function installSchema(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    for (const statement of STATEMENTS) await tx.query(statement);
    await ensureHandledTable(tx);
  });
}
