import type { Handler } from 'tributary';
import type { ProductChanged, ProductCreated } from '@tributary/contracts';
import type { ProductStore } from '../store/product-store.ts';

/**
 * The basket's own copy of names and prices (the book's point: the cart
 * never asks the catalog). The stream entry id orders events of one product
 * even when a retry delivers an older one after a newer one.
 */
export function productCreatedHandler(deps: { products: ProductStore; group: string }): Handler<typeof ProductCreated> {
  return async (event, context) => {
    const { productId, name, priceCents } = event.data;
    await deps.products.apply(deps.group, event.id, context.entryId, productId, { name, priceCents });
  };
}

/** Only the fields present: ProductChanged carries what changed and nothing else. */
export function productChangedHandler(deps: { products: ProductStore; group: string }): Handler<typeof ProductChanged> {
  return async (event, context) => {
    const { productId, changes } = event.data;
    await deps.products.apply(deps.group, event.id, context.entryId, productId, changes);
  };
}
