import type { SqlExecutor } from 'tributary/sql';

/**
 * `seq` orders products created in the same microsecond and makes paging
 * stable; ids are text (our UUIDs) so a malformed id is just "not found".
 * banned_countries is jsonb: one portable encoding on PGlite and pg.
 * `digital` (e-books and the like) takes no stock and is never shipped.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS products (
    id text PRIMARY KEY,
    seq bigserial NOT NULL,
    sku text NOT NULL UNIQUE,
    name text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    stock integer NOT NULL CHECK (stock >= 0),
    banned_countries jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX IF NOT EXISTS products_price ON products (price_cents, seq)',
  'CREATE INDEX IF NOT EXISTS products_created ON products (created_at, seq)',
  // Added after the first release: ADD COLUMN IF NOT EXISTS upgrades an existing table in place.
  'ALTER TABLE products ADD COLUMN IF NOT EXISTS digital boolean NOT NULL DEFAULT false',
];

export async function installSchema(db: SqlExecutor): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
}
