import type { SqlExecutor } from 'tributary/sql';
import type { Balance } from '../domain/payments.ts';
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
  balanceCents: number;
}

export interface UserPatch {
  name?: string;
  email?: string;
  address?: string | null;
  country?: string;
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
    `INSERT INTO users (id, name, email, country, available_cents) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [user.id, user.name, user.email, user.country, user.balanceCents],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function findUser(db: SqlExecutor, id: string): Promise<User | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toUser(rows[0]) : null;
}

const PATCHABLE = { name: 'name', email: 'email', address: 'address', country: 'country' } as const;

/** One UPDATE of the given columns; 'not-found' or 'email-taken' instead of throwing. */
export async function updateUser(db: SqlExecutor, id: string, patch: UserPatch): Promise<User | 'not-found' | 'email-taken'> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const key of Object.keys(PATCHABLE) as Array<keyof typeof PATCHABLE>) {
    if (patch[key] === undefined) continue;
    params.push(patch[key]);
    sets.push(`${PATCHABLE[key]} = $${params.length}`);
  }
  if (sets.length === 0) return (await findUser(db, id)) ?? 'not-found';
  try {
    const { rows } = await db.query<UserRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`, params);
    return rows[0] ? toUser(rows[0]) : 'not-found';
  } catch (error) {
    if (isUniqueViolation(error)) return 'email-taken';
    throw error;
  }
}

export async function findBalance(db: SqlExecutor, id: string): Promise<Balance | null> {
  const { rows } = await db.query<BalanceRow>(`SELECT ${BALANCE_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toBalance(rows[0]) : null;
}

/**
 * Locks the user's row until the transaction ends: concurrent reservations
 * for one user queue here, so two can never both spend the same cents.
 */
export async function lockBalance(tx: SqlExecutor, id: string): Promise<{ balance: Balance; country: string } | null> {
  const { rows } = await tx.query<BalanceRow>(`SELECT ${BALANCE_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? { balance: toBalance(rows[0]), country: rows[0].country } : null;
}

export async function writeBalance(tx: SqlExecutor, id: string, balance: Balance): Promise<void> {
  const result = await tx.query(
    'UPDATE users SET available_cents = $2, reserved_cents = $3, spent_cents = $4 WHERE id = $1',
    [id, balance.availableCents, balance.reservedCents, balance.spentCents],
  );
  if (result.rowCount !== 1) throw new Error(`user ${id} vanished while its balance was locked`);
}
