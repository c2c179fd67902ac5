import type { PriceIndex } from '../store/price-index.ts';
import type { ProductReader } from '../store/product-reader.ts';

/**
 * Catalog consumes its own ProductCreated / ProductChanged so that Redis
 * converges on PostgreSQL even when the write path's after-commit step did
 * not happen (the instance died after COMMIT, or the store Redis was down).
 *
 * No dedup record: both effects are idempotent and state-based. The price is
 * re-read from the table rather than taken from the event, so a redelivered
 * or out-of-order event writes today's price, never an old one; dropping a
 * cache entry twice costs one extra load.
 */
export function productEventsHandler(deps: { index: PriceIndex; reader: ProductReader }) {
  // A whole read at once: one table read and one cache round for all its products.
  return async (events: ReadonlyArray<{ data: { productId: string } }>): Promise<void> => {
    const productIds = [...new Set(events.map((event) => event.data.productId))];
    await deps.index.syncFromDb(productIds);
    await deps.reader.invalidate(productIds);
  };
}
