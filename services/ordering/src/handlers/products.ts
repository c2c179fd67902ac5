import type { ProductChanged, ProductCreated } from '@tributary/contracts';
import type { SqlEventHandler } from 'tributary/sql';
import { parseStreamPosition } from '../store/customers-store.ts';
import { saveProductPrice } from '../store/products-store.ts';

/**
 * Ordering's copy of catalog prices, so POST /orders prices an order without
 * asking the catalog. Written in the batch's transaction with its "handled"
 * markers; the stream position keeps a late retry of an older price from
 * overwriting a newer one.
 */
export function productCreatedHandler(): SqlEventHandler<typeof ProductCreated> {
  return async (tx, { event, entryId }) => {
    await saveProductPrice(tx, event.data.productId, event.data.priceCents, parseStreamPosition(entryId));
  };
}

/** A change of name only is none of ordering's business. */
export function productChangedHandler(): SqlEventHandler<typeof ProductChanged> {
  return async (tx, { event, entryId }) => {
    const { priceCents } = event.data.changes;
    if (priceCents === undefined) return;
    await saveProductPrice(tx, event.data.productId, priceCents, parseStreamPosition(entryId));
  };
}
