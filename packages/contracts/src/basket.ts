import { defineEvent, Type } from 'tributary';
import { Cents, Id, Quantity } from './common.ts';

/**
 * POST /api/baskets/:userId/checkout. The basket chose `orderId` itself, so a
 * retried checkout names the same order and ordering creates it once. Prices
 * are the basket's own copy, taken from catalog events. The basket is emptied
 * only when ordering's OrderPlaced for this `orderId` arrives.
 */
export const CheckoutRequested = defineEvent({
  source: 'basket',
  type: 'CheckoutRequested',
  version: 1,
  schema: Type.Object({
    orderId: Id,
    userId: Id,
    items: Type.Array(Type.Object({ productId: Id, quantity: Quantity, unitPriceCents: Cents }), { minItems: 1, maxItems: 100 }),
  }),
});

export const basketEvents = [CheckoutRequested] as const;
