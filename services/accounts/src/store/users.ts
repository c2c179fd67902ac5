import type { SqlExecutor } from 'tributary/sql';
import type { Balance } from '../domain/payments.ts';
import type { ProfilePatch } from '../domain/user.ts';
import { isoTimestamp, isUniqueViolation } from './schema.ts';

export interface User {
  id: string;
  name: string;
  email: string;
  country: string;
  address: string | null;
  createdAt: string;
}

export interface NewUser {
  id: string;
  name: string;
  email: string;
  country: string;
  address: string | null;
  balanceCents: number;
}

interface UserRow {
  id: string;
  name: string;
  email: string;
  country: string;
  address: string | null;
  created_at: string;
}

interface BalanceRow {
  available_cents: string;
  reserved_cents: string;
  spent_cents: string;
  country: string;
}

const USER_COLUMNS = `id, name, email, country, address, ${isoTimestamp('created_at')} AS created_at`;
// bigint leaves as text on both drivers, then Number(): cents stay below 2^53.
const BALANCE_COLUMNS = 'available_cents::text AS available_cents, reserved_cents::text AS reserved_cents, spent_cents::text AS spent_cents, country';

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  country: row.country,
  address: row.address,
  createdAt: row.created_at,
});

const toBalance = (row: BalanceRow): Balance => ({
  availableCents: Number(row.available_cents),
  reservedCents: Number(row.reserved_cents),
  spentCents: Number(row.spent_cents),
});

/** Returns null when the email is taken (the caller answers 409). */
export async function insertUser(tx: SqlExecutor, user: NewUser): Promise<User | null> {
  const { rows } = await tx.query<UserRow>(
    `INSERT INTO users (id, name, email, country, address, available_cents) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
    [user.id, user.name, user.email, user.country, user.address, user.balanceCents],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function findUser(db: SqlExecutor, id: string): Promise<User | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toUser(rows[0]) : null;
}

/** Emails are stored lower-cased; the lookup lower-cases too, so any spelling finds the user. */
export async function findUserByEmail(db: SqlExecutor, email: string): Promise<User | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
  return rows[0] ? toUser(rows[0]) : null;
}

/**
 * Reads a user and locks the row until the transaction ends: concurrent
 * PATCHes of one user queue here, so each compares against the row the
 * previous one left.
 */
export async function lockUser(tx: SqlExecutor, id: string): Promise<User | null> {
  const { rows } = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toUser(rows[0]) : null;
}

const PROFILE_COLUMNS = { name: 'name', email: 'email', address: 'address', country: 'country' } as const;

/**
 * One UPDATE of the changed columns. A taken email surfaces as PostgreSQL's
 * unique violation (see `isUniqueViolation`), which aborts the transaction.
 */
export async function writeProfile(tx: SqlExecutor, id: string, changes: ProfilePatch): Promise<User> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const key of Object.keys(PROFILE_COLUMNS) as Array<keyof typeof PROFILE_COLUMNS>) {
    if (changes[key] === undefined) continue;
    params.push(changes[key]);
    sets.push(`${PROFILE_COLUMNS[key]} = $${params.length}`);
  }
  if (sets.length === 0) throw new Error('writeProfile called without changes');
  const { rows } = await tx.query<UserRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`, params);
  if (!rows[0]) throw new Error(`user ${id} vanished while its row was locked`);
  return toUser(rows[0]);
}

export async function findBalance(db: SqlExecutor, id: string): Promise<Balance | null> {
  const { rows } = await db.query<BalanceRow>(`SELECT ${BALANCE_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toBalance(rows[0]) : null;
}

/** Locks several users' rows in id order (two batches sharing users cannot deadlock); a missing user is absent from the map. */
export async function lockBalances(tx: SqlExecutor, ids: readonly string[]): Promise<Map<string, { balance: Balance; country: string }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<BalanceRow & { id: string }>(`SELECT id, ${BALANCE_COLUMNS} FROM users WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((row) => [row.id, { balance: toBalance(row), country: row.country }]));
}

export async function writeBalances(tx: SqlExecutor, balances: ReadonlyMap<string, Balance>): Promise<void> {
  if (balances.size === 0) return;
  const entries = [...balances];
  const result = await tx.query(
    `UPDATE users SET available_cents = u.available, reserved_cents = u.reserved, spent_cents = u.spent
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, available, reserved, spent) WHERE users.id = u.id`,
    [entries.map(([id]) => id), entries.map(([, b]) => b.availableCents), entries.map(([, b]) => b.reservedCents), entries.map(([, b]) => b.spentCents)],
  );
  if (result.rowCount !== entries.length) throw new Error('a user vanished while its balance was locked');
}
