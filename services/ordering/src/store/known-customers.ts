import type { SqlExecutor } from 'tributary/sql';

/**
 * Whether ordering's copy of customers (fed by accounts' UserRegistered and
 * UserProfileChanged) has this user: any row means accounts said the user exists.
 */
export async function isKnownCustomer(db: SqlExecutor, userId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM customers WHERE user_id = $1', [userId]);
  return rows.length > 0;
}

/** Which of these users ordering's copy of customers has, in one statement. */
export async function knownCustomers(db: SqlExecutor, userIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ user_id: string }>('SELECT user_id FROM customers WHERE user_id = ANY($1::text[])', [userIds]);
  return new Set(rows.map((row) => row.user_id));
}
