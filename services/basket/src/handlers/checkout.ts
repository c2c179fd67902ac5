import { randomUUID } from 'node:crypto';
import type { Logger } from 'tributary/service';
import { planCheckout, type SweepTiming } from '../domain/checkout.ts';
import type { BasketStore } from '../store/basket-store.ts';
import type { PendingCheckout } from '../store/pending-checkout.ts';
import type { ProductStore } from '../store/product-store.ts';
import type { PublishCheckout } from './publish-checkout.ts';
import { basketError } from '../errors.ts';

/** Reads of the basket raced by writes to it before the checkout gives up (409). */
const MAX_SNAPSHOT_ATTEMPTS = 5;

export interface CheckoutDeps {
  basket: BasketStore;
  products: ProductStore;
  publish: PublishCheckout;
  timing: Pick<SweepTiming, 'afterMs'>;
  logger: Logger;
}

/**
 * POST /baskets/:userId/checkout. The order is:
 *   1. the user joins the sweep's due set (so a crash after 2 is found),
 *   2. one script records the pending checkout, or returns the pending one,
 *   3. CheckoutRequested is published from the record.
 * A crash between 2 and 3 loses nothing: the record is the truth, and the
 * next checkout call or the sweep publishes it under the same event id.
 */
export function createCheckout(deps: CheckoutDeps): (userId: string) => Promise<{ orderId: string }> {
  async function record(userId: string): Promise<PendingCheckout> {
    await deps.basket.markDue(userId, Date.now() + deps.timing.afterMs);
    for (let attempt = 1; attempt <= MAX_SNAPSHOT_ATTEMPTS; attempt++) {
      const { lines, checkout } = await deps.basket.readBasket(userId);
      if (checkout) return checkout;
      const plan = planCheckout(lines, await deps.products.getMany(lines.map((line) => line.productId)));
      if (!plan.ok) throw basketError(plan.code, plan.message);
      const reply = await deps.basket.recordCheckout(userId, { orderId: randomUUID(), now: Date.now(), items: plan.items });
      if (reply.kind === 'empty') throw basketError('EMPTY_BASKET', `the basket of ${userId} is empty`);
      if (reply.kind !== 'changed') return reply.checkout;
    }
    throw basketError('BASKET_CHANGING', 'the basket changed during checkout every time; try again');
  }

  return async (userId) => {
    const pending = await record(userId);
    try {
      // Also for a pending checkout found again: this retry may be the first
      // publication if the process that recorded it died before publishing.
      await deps.publish(pending);
    } catch (error) {
      // Recorded is accepted: the sweep publishes it once the bus is back.
      deps.logger.warn({ err: error, userId, orderId: pending.orderId }, 'CheckoutRequested not published yet; the sweep will retry');
    }
    return { orderId: pending.orderId };
  };
}
