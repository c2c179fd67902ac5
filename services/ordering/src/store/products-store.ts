import type { SqlExecutor } from 'tributary/sql';
import type { StreamPosition } from './customers-store.ts';

/**
 * Writes a product's price unless the stored one came from a later event of
 * 'catalog:events'. A retried entry can be handled after a newer one, so the
 * stream position, not the order of handling, says which price is current.
 * Returns true when written.
 */
export async function saveProductPrice(tx: SqlExecutor, productId: string, priceCents: number, at: StreamPosition): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO catalog_products (product_id, price_cents, price_at_ms, price_at_seq) VALUES ($1, $2, $3::numeric, $4::numeric)
     ON CONFLICT (product_id) DO UPDATE
       SET price_cents = EXCLUDED.price_cents, price_at_ms = EXCLUDED.price_at_ms, price_at_seq = EXCLUDED.price_at_seq,
           updated_at = now()
       WHERE (catalog_products.price_at_ms, catalog_products.price_at_seq) < (EXCLUDED.price_at_ms, EXCLUDED.price_at_seq)`,
    [productId, priceCents, at.ms, at.seq],
  );
  return result.rowCount === 1;
}

/** The current price of each product ordering has heard of; a product it has not is absent from the map. */
export async function findProductPrices(db: SqlExecutor, productIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ product_id: string; price_cents: string }>(
    'SELECT product_id, price_cents::text AS price_cents FROM catalog_products WHERE product_id = ANY($1)',
    [productIds],
  );
  return new Map(rows.map((row) => [row.product_id, Number(row.price_cents)]));
}
