import type { SqlExecutor } from 'tributary/sql';

/**
 * Whether ordering's copy of customers (fed by accounts' UserRegistered and
 * UserProfileChanged) has this user: any row means accounts said the user exists.
 */
export async function isKnownCustomer(db: SqlExecutor, userId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM customers WHERE user_id = $1', [userId]);
  return rows.length > 0;
}
