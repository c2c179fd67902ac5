import { ensureHandledTable, type SqlExecutor } from 'tributary/sql';

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

/** Its tables (run it inside `installTables`, which keeps two instances from racing). */
export async function installSchema(db: SqlExecutor): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
  await ensureHandledTable(db);
}
