import { Type, type Static } from 'tributary';
import type { SqlExecutor } from 'tributary/sql';

/**
 * A product as stored and served. Also the schema the cache validates every
 * entry against when it reads one back from Redis.
 */
export const ProductRecord = Type.Object(
  {
    id: Type.String(),
    sku: Type.String(),
    name: Type.String(),
    priceCents: Type.Integer({ minimum: 0 }),
    stock: Type.Integer({ minimum: 0 }),
    bannedCountries: Type.Array(Type.String()),
    digital: Type.Boolean(),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Product = Static<typeof ProductRecord>;

export type NewProduct = Omit<Product, 'createdAt'>;

export const PRODUCT_SORTS = ['price', 'name', 'createdAt'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

export interface ListQuery {
  sort: ProductSort;
  order: SortOrder;
  limit: number;
  offset: number;
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: string;
  stock: number;
  banned_countries: unknown;
  digital: unknown;
  created_at: string;
}

// price_cents leaves as text on both drivers, then Number(): prices stay below 2^53.
const COLUMNS = `id, sku, name, price_cents::text AS price_cents, stock, banned_countries, digital,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`;

function toStringArray(value: unknown): string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error('banned_countries is not a string array');
  return parsed;
}

function toBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error('digital is not a boolean');
  return value;
}

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  priceCents: Number(row.price_cents),
  stock: Number(row.stock),
  bannedCountries: toStringArray(row.banned_countries),
  digital: toBoolean(row.digital),
  createdAt: row.created_at,
});

/** Returns null when the SKU is taken (the caller answers 409). */
export async function insertProduct(tx: SqlExecutor, product: NewProduct): Promise<Product | null> {
  const { rows } = await tx.query<ProductRow>(
    `INSERT INTO products (id, sku, name, price_cents, stock, banned_countries, digital) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
     ON CONFLICT (sku) DO NOTHING RETURNING ${COLUMNS}`,
    [product.id, product.sku, product.name, product.priceCents, product.stock, JSON.stringify(product.bannedCountries), product.digital],
  );
  return rows[0] ? toProduct(rows[0]) : null;
}

export async function findProduct(db: SqlExecutor, id: string): Promise<Product | null> {
  const { rows } = await db.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
  return rows[0] ? toProduct(rows[0]) : null;
}

/** The row, locked until the transaction ends: concurrent PATCHes of one product compute their changes one after the other. */
export async function findProductForUpdate(tx: SqlExecutor, id: string): Promise<Product | null> {
  const { rows } = await tx.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toProduct(rows[0]) : null;
}

/** Applies the given changes; absent fields keep their value. */
export async function updateProduct(tx: SqlExecutor, id: string, changes: { name?: string; priceCents?: number }): Promise<Product | null> {
  const { rows } = await tx.query<ProductRow>(
    `UPDATE products SET name = COALESCE($2, name), price_cents = COALESCE($3::bigint, price_cents) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, changes.name ?? null, changes.priceCents ?? null],
  );
  return rows[0] ? toProduct(rows[0]) : null;
}

/** The products among `ids`, in no particular order. */
export async function findProducts(db: SqlExecutor, ids: readonly string[]): Promise<Product[]> {
  // A JSON array parameter instead of a SQL array: encoded the same way by PGlite and pg.
  const { rows } = await db.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(ids)],
  );
  return rows.map(toProduct);
}

/** Prices of the products among `ids` (a missing id has no entry). */
export async function findPrices(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ id: string; price_cents: string }>(
    'SELECT id, price_cents::text AS price_cents FROM products WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))',
    [JSON.stringify(ids)],
  );
  return new Map(rows.map((row) => [row.id, Number(row.price_cents)]));
}

/** One page of (id, price) in id order after `afterId`: how the price index is checked against the table. */
export async function pricesAfter(db: SqlExecutor, afterId: string, limit: number): Promise<Array<{ id: string; priceCents: number }>> {
  const { rows } = await db.query<{ id: string; price_cents: string }>(
    'SELECT id, price_cents::text AS price_cents FROM products WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2',
    [afterId, limit],
  );
  return rows.map((row) => ({ id: row.id, priceCents: Number(row.price_cents) }));
}

// Columns are qualified: a bare name in ORDER BY would pick the output column
// of the same name, i.e. price_cents::text, and sort prices as strings.
// Names sort case-insensitively by code point (COLLATE "C"), identical on
// every server whatever its locale; seq breaks ties so pages never overlap.
const ORDER_BY: Record<ProductSort, (direction: string) => string> = {
  price: (d) => `products.price_cents ${d}, products.seq ${d}`,
  name: (d) => `lower(products.name) COLLATE "C" ${d}, products.name COLLATE "C" ${d}, products.seq ${d}`,
  createdAt: (d) => `products.created_at ${d}, products.seq ${d}`,
};

export async function listProducts(db: SqlExecutor, query: ListQuery): Promise<{ items: Product[]; total: number }> {
  const direction = query.order === 'desc' ? 'DESC' : 'ASC';
  const { rows } = await db.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products ORDER BY ${ORDER_BY[query.sort](direction)} LIMIT $1 OFFSET $2`,
    [query.limit, query.offset],
  );
  const counted = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM products');
  return { items: rows.map(toProduct), total: counted.rows[0]?.total ?? 0 };
}
