import type { CheckoutRequested } from '@tributary/contracts';
import type { Handler } from 'tributary';
import type { OrderingContext } from './context.ts';
import { placeOrder } from './place-order.ts';

/**
 * The basket's checkout becomes an order through the same path as POST
 * /orders, with the basket's order id and prices. Idempotent by order id:
 * a second delivery (or a re-publication by the basket's sweep) creates
 * nothing and emits nothing. An unknown user is accounts' call
 * (PaymentFailed FAILED_PAYMENT_UNKNOWN_USER), as for any order. An order
 * the rules refuse (a product twice, a total too large) fails every attempt
 * and ends in the dead-letter stream, where an operator sees why.
 */
export function checkoutRequestedHandler(ctx: OrderingContext): Handler<typeof CheckoutRequested> {
  return async (event) => {
    const { orderId, userId, items } = event.data;
    const placed = await placeOrder(ctx, { userId, items }, { orderId, causedBy: event });
    if (!placed.created) ctx.logger.debug({ orderId, eventId: event.id }, 'checkout already placed');
  };
}
