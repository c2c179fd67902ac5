import type { SqlExecutor } from 'tributary/sql';

/**
 * The tables of accounts. The CHECK constraints are the last line of defence
 * for "no balance goes negative": even a buggy handler cannot commit one.
 * Ids are text (UUIDs we generate) so a malformed id in a request is simply
 * "not found", never a cast error.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS users (
    id text PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    country text NOT NULL,
    address text,
    available_cents bigint NOT NULL CHECK (available_cents >= 0),
    reserved_cents bigint NOT NULL DEFAULT 0 CHECK (reserved_cents >= 0),
    spent_cents bigint NOT NULL DEFAULT 0 CHECK (spent_cents >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS reservations (
    order_id text PRIMARY KEY,
    user_id text NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    status text NOT NULL CHECK (status IN ('RESERVED', 'CAPTURED', 'REFUNDED', 'FAILED')),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX IF NOT EXISTS reservations_user_id ON reservations (user_id)',
  // Emails are written lower-cased; this index makes "one user per mailbox,
  // whatever the case" a rule of the database, not only of the code.
  'CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower ON users (lower(email))',
];

export async function installSchema(db: SqlExecutor): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
}

/** Timestamps leave SQL as ISO-8601 UTC text, identical on PGlite and pg. */
export const isoTimestamp = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
