import type { RedisClient } from 'tributary';
import type { SqlExecutor } from 'tributary/sql';
import { catalogKeys } from './keys.ts';
import { findPrices, pricesAfter, type SortOrder } from './products.ts';

const PAGE = 500;

export interface PriceIndex {
  /** False while the store Redis is down: the caller lists from PostgreSQL instead. */
  available(): boolean;
  set(productId: string, priceCents: number): Promise<void>;
  /** Re-reads the products from PostgreSQL and writes what it finds (removing ids it does not). */
  syncFromDb(productIds: readonly string[]): Promise<void>;
  /** Product ids of one page by price (ties by id), and how many the index holds. */
  page(order: SortOrder, limit: number, offset: number): Promise<{ ids: string[]; total: number }>;
  /** Compares the whole index with the table and fixes every difference. */
  repair(): Promise<{ checked: number; fixed: number; removed: number }>;
}

/**
 * Listing by price served from a Redis sorted set. PostgreSQL stays the
 * truth: the set is written after each commit, re-synced from the table when
 * catalog's own events come back, and checked against the table at start-up.
 */
export function createPriceIndex(deps: { db: SqlExecutor; store: RedisClient }): PriceIndex {
  const { db, store } = deps;
  const key = catalogKeys.byPrice;

  async function removeStrangers(): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const reply = await store.zScan(key, cursor, { COUNT: PAGE });
      cursor = String(reply.cursor);
      const ids = reply.members.map((member) => String(member.value));
      if (ids.length === 0) continue;
      const known = await findPrices(db, ids);
      const strangers = ids.filter((id) => !known.has(id));
      if (strangers.length > 0) removed += Number(await store.zRem(key, strangers));
    } while (cursor !== '0');
    return removed;
  }

  return {
    available: () => store.isReady,
    async set(productId, priceCents) {
      await store.zAdd(key, { score: priceCents, value: productId });
    },
    async syncFromDb(productIds) {
      const prices = await findPrices(db, productIds);
      const present = [...prices].map(([value, score]) => ({ score, value }));
      const gone = productIds.filter((id) => !prices.has(id));
      if (present.length > 0) await store.zAdd(key, present);
      if (gone.length > 0) await store.zRem(key, gone);
    },
    async page(order, limit, offset) {
      const [ids, total] = await Promise.all([
        store.zRange(key, offset, offset + limit - 1, order === 'desc' ? { REV: true } : undefined),
        store.zCard(key),
      ]);
      return { ids: ids.map(String), total: Number(total) };
    },
    async repair() {
      let checked = 0;
      let fixed = 0;
      let after = '';
      for (;;) {
        const rows = await pricesAfter(db, after, PAGE);
        if (rows.length === 0) break;
        const scores = await store.zmScore(key, rows.map((row) => row.id));
        const wrong = rows.filter((row, i) => scores[i] === null || Number(scores[i]) !== row.priceCents);
        if (wrong.length > 0) await store.zAdd(key, wrong.map((row) => ({ score: row.priceCents, value: row.id })));
        checked += rows.length;
        fixed += wrong.length;
        after = rows[rows.length - 1]!.id;
      }
      // Products are never deleted today, but a store shared with an older deployment can hold ids the table does not.
      const removed = Number(await store.zCard(key)) > checked ? await removeStrangers() : 0;
      return { checked, fixed, removed };
    },
  };
}
