import { CheckoutRequested } from '@tributary/contracts';
import { deriveEventId, type Publisher, type RedisClient } from 'tributary';
import type { PendingCheckout } from '../store/pending-checkout.ts';

/**
 * The event id of a checkout's CheckoutRequested, derived from its order id:
 * every (re-)publication of one checkout is the same event, which consumers
 * deduplicate.
 */
export function checkoutEventId(orderId: string): string {
  return deriveEventId(orderId, 'CheckoutRequested');
}

export type PublishCheckout = (pending: PendingCheckout) => Promise<void>;

/**
 * Publishes a pending checkout. node-redis queues commands while it
 * reconnects, so a publish to a bus that is down would hang the HTTP request
 * until the bus returns; failing fast instead leaves the pending record to
 * the sweep.
 */
export function checkoutPublisher(deps: { publisher: Publisher; bus: RedisClient }): PublishCheckout {
  return async (pending) => {
    if (!deps.bus.isReady) throw new Error('bus Redis is not connected; the sweep publishes the checkout later');
    const id = checkoutEventId(pending.orderId);
    const envelope = deps.publisher.envelope(
      CheckoutRequested,
      { orderId: pending.orderId, userId: pending.userId, items: pending.items },
      // The order id correlates the saga the checkout starts (timelines, logs).
      { id, correlationId: pending.orderId },
    );
    await deps.publisher.publishEnvelopes([envelope]);
  };
}
