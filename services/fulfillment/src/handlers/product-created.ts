import type { Handler } from 'tributary';
import type { ProductCreated } from '@tributary/contracts';
import type { StockStore } from '../store/stock-store.ts';

/**
 * From here on fulfillment owns the product's stock: the first ProductCreated
 * sets it (and whether the product is digital), later ones (redelivered or
 * replayed) leave it as orders left it.
 */
export function productCreatedHandler(deps: { store: StockStore; group: string }): Handler<typeof ProductCreated> {
  return async (event) => {
    const { productId, stock, bannedCountries, digital } = event.data;
    await deps.store.createProduct(deps.group, event.id, { productId, stock, bannedCountries, digital: digital ?? false });
  };
}
