import type { Handler } from 'tributary';
import type { OrderPlaced } from '@tributary/contracts';
import type { BasketStore } from '../store/basket-store.ts';

/**
 * Ordering created the order: only now does the checkout leave the basket.
 * Idempotent by order id (see completeCheckout-2.lua); an order placed by
 * other means (POST /orders) matches no pending checkout and changes nothing.
 */
export function orderPlacedHandler(deps: { basket: BasketStore }): Handler<typeof OrderPlaced> {
  return async (event) => {
    await deps.basket.completeCheckout(event.data.userId, event.data.orderId);
  };
}
