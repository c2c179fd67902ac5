import type { SqlExecutor } from 'tributary/sql';

/** Where an event sits in its stream (`<ms>-<seq>`): both parts as decimal text, for numeric columns. */
export interface StreamPosition {
  ms: string;
  seq: string;
}

export function parseStreamPosition(entryId: string): StreamPosition {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(entryId);
  if (!match) throw new Error(`not a stream entry id: ${entryId}`);
  return { ms: match[1] as string, seq: match[2] as string };
}

/**
 * Writes a customer's name unless the stored one came from a later event of
 * the same stream ('accounts:events'). The kit retries a failed entry without
 * holding back the ones behind it, so "the last event handled" is not always
 * "the last event published"; the stream position is. Returns true when written.
 */
export async function saveCustomerName(tx: SqlExecutor, userId: string, name: string, at: StreamPosition): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO customers (user_id, name, name_at_ms, name_at_seq) VALUES ($1, $2, $3::numeric, $4::numeric)
     ON CONFLICT (user_id) DO UPDATE
       SET name = EXCLUDED.name, name_at_ms = EXCLUDED.name_at_ms, name_at_seq = EXCLUDED.name_at_seq, updated_at = now()
       WHERE customers.name_at_ms IS NULL
          OR (customers.name_at_ms, customers.name_at_seq) < (EXCLUDED.name_at_ms, EXCLUDED.name_at_seq)`,
    [userId, name, at.ms, at.seq],
  );
  return result.rowCount === 1;
}

/** The same rule for the address; null is a value here (the user removed it), distinct from "never heard of". */
export async function saveCustomerAddress(tx: SqlExecutor, userId: string, address: string | null, at: StreamPosition): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO customers (user_id, address, address_at_ms, address_at_seq) VALUES ($1, $2, $3::numeric, $4::numeric)
     ON CONFLICT (user_id) DO UPDATE
       SET address = EXCLUDED.address, address_at_ms = EXCLUDED.address_at_ms, address_at_seq = EXCLUDED.address_at_seq,
           updated_at = now()
       WHERE customers.address_at_ms IS NULL
          OR (customers.address_at_ms, customers.address_at_seq) < (EXCLUDED.address_at_ms, EXCLUDED.address_at_seq)`,
    [userId, address, at.ms, at.seq],
  );
  return result.rowCount === 1;
}

export async function findCustomerName(db: SqlExecutor, userId: string): Promise<string | null> {
  const { rows } = await db.query<{ name: unknown }>('SELECT name FROM customers WHERE user_id = $1', [userId]);
  const name = rows[0]?.name;
  return typeof name === 'string' ? name : null;
}

/** The addresses of several customers in one statement; a user missing from the map has none known. */
export async function findCustomerAddresses(db: SqlExecutor, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await db.query<{ user_id: string; address: unknown }>('SELECT user_id, address FROM customers WHERE user_id = ANY($1::text[])', [userIds]);
  return new Map(rows.flatMap((row) => (typeof row.address === 'string' ? [[row.user_id, row.address] as const] : [])));
}
