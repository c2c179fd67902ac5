import type { ProductChanged, ProductCreated } from '@tributary/contracts';
import type { Handler } from 'tributary';
import { markHandled } from 'tributary/sql';
import { parseStreamPosition } from '../store/customers-store.ts';
import { saveProductPrice } from '../store/products-store.ts';
import { GROUP, type OrderingContext } from './context.ts';

/**
 * Ordering's copy of catalog prices, so POST /orders prices an order without
 * asking the catalog. The "handled" marker commits with the write; the stream
 * position keeps a late retry of an older price from overwriting a newer one.
 */
async function copyPrice(ctx: OrderingContext, eventId: string, entryId: string, productId: string, priceCents: number): Promise<void> {
  const at = parseStreamPosition(entryId);
  await ctx.db.transaction(async (tx) => {
    if (!(await markHandled(tx, GROUP, eventId))) return;
    await saveProductPrice(tx, productId, priceCents, at);
  });
}

export function productCreatedHandler(ctx: OrderingContext): Handler<typeof ProductCreated> {
  return (event, context) => copyPrice(ctx, event.id, context.entryId, event.data.productId, event.data.priceCents);
}

/** A change of name only is none of ordering's business: nothing kept, nothing to deduplicate. */
export function productChangedHandler(ctx: OrderingContext): Handler<typeof ProductChanged> {
  return async (event, context) => {
    const { priceCents } = event.data.changes;
    if (priceCents === undefined) return;
    await copyPrice(ctx, event.id, context.entryId, event.data.productId, priceCents);
  };
}
