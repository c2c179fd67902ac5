import { PackageCreated } from '@tributary/contracts';
import type { SqlExecutor } from 'tributary/sql';
import type { PackageDoc } from '../domain/build-package.ts';

/**
 * Every statement on the packages table. Documents read back are checked
 * against the contract's schema: a row is input like any other, and a
 * malformed one is a bug to report loudly, not a shape to pass on.
 */

export interface StoredPackage extends PackageDoc {
  createdAt: string;
}

interface PackageRow {
  id: string;
  doc: unknown;
  created_at: unknown;
}

function toIso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${String(value)}`);
  return date.toISOString();
}

function toPackage(row: PackageRow): StoredPackage {
  const doc: unknown = typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc;
  if (!PackageCreated.is(doc)) throw new Error(`package ${row.id} has a malformed document: ${PackageCreated.validate(doc) ?? '?'}`);
  if (doc.packageId !== row.id) throw new Error(`package ${row.id} holds the document of ${doc.packageId}`);
  return { ...doc, createdAt: toIso(row.created_at) };
}

/**
 * Inserts packages in one statement; answers the ids written. A package that
 * exists already (its order shipped twice under different event ids, earlier
 * or in this batch) is written once, the first time.
 */
export async function insertPackages(tx: SqlExecutor, docs: readonly PackageDoc[]): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO packages (id, doc) SELECT id, doc::jsonb FROM unnest($1::text[], $2::text[]) AS u(id, doc) ON CONFLICT (id) DO NOTHING RETURNING id',
    [docs.map((doc) => doc.packageId), docs.map((doc) => JSON.stringify(doc))],
  );
  return new Set(rows.map((row) => row.id));
}

export async function findPackage(db: SqlExecutor, id: string): Promise<StoredPackage | null> {
  const { rows } = await db.query<PackageRow>('SELECT id, doc, created_at FROM packages WHERE id = $1', [id]);
  return rows[0] ? toPackage(rows[0]) : null;
}

export interface TagQuery {
  tag: string;
  limit: number;
  /** The last package of the previous page; the page starts after it. */
  after?: string | undefined;
}

export type TagPage = { items: StoredPackage[]; next: string | null } | 'unknown-cursor';

/**
 * Newest first, keyset-paginated on (created_at, id): a page never repeats
 * or skips a package while new ones are written. The containment test is the
 * shape the GIN index serves; the cursor's position is looked up by its
 * primary key inside the same statement.
 */
const BY_TAG = `SELECT id, doc, created_at FROM packages
  WHERE doc -> 'tags' @> $1::jsonb
  ORDER BY created_at DESC, id DESC
  LIMIT $2`;
const BY_TAG_AFTER = `SELECT id, doc, created_at FROM packages
  WHERE doc -> 'tags' @> $1::jsonb
    AND (created_at, id) < (SELECT c.created_at, c.id FROM packages c WHERE c.id = $3)
  ORDER BY created_at DESC, id DESC
  LIMIT $2`;

function tagStatement(query: TagQuery): { text: string; params: unknown[] } {
  // One row more than asked tells whether another page exists.
  const params: unknown[] = [JSON.stringify([query.tag]), query.limit + 1];
  return query.after === undefined ? { text: BY_TAG, params } : { text: BY_TAG_AFTER, params: [...params, query.after] };
}

export async function listPackagesByTag(db: SqlExecutor, query: TagQuery): Promise<TagPage> {
  if (query.after !== undefined) {
    // Packages are never deleted, so an unknown cursor was never one this API handed out.
    const { rows } = await db.query('SELECT 1 FROM packages WHERE id = $1', [query.after]);
    if (rows.length === 0) return 'unknown-cursor';
  }
  const { text, params } = tagStatement(query);
  const { rows } = await db.query<PackageRow>(text, params);
  const items = rows.slice(0, query.limit).map(toPackage);
  const last = items.at(-1);
  return { items, next: rows.length > query.limit && last ? last.packageId : null };
}

/** The plan of the listing statement (EXPLAIN, not run), so tests can check that the tag index serves it. */
export async function explainListByTag(db: SqlExecutor, query: TagQuery): Promise<string> {
  const { text, params } = tagStatement(query);
  const { rows } = await db.query<Record<string, unknown>>(`EXPLAIN ${text}`, params);
  return rows.map((row) => String(Object.values(row)[0])).join('\n');
}
