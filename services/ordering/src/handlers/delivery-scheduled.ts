import type { DeliveryScheduled } from '@tributary/contracts';
import type { SqlEventsHandler } from 'tributary/sql';
import { recordDeliveries } from '../store/orders-store.ts';
import type { OrderingContext } from './context.ts';
import { UnknownOrderError } from './saga-events.ts';

/**
 * Remembers which delivery flies each order's parcel, so GET /orders/:id can
 * point at it: one statement for a read's events. Changes no status and
 * emits nothing. An unknown order is retried and then dead-lettered, like a
 * saga event for one: orders commit long before anything about their parcel
 * can exist.
 */
export function deliveryScheduledHandler(ctx: OrderingContext): SqlEventsHandler<typeof DeliveryScheduled> {
  return async (tx, items) => {
    const outcomes = await recordDeliveries(tx, items.map(({ event }) => event.data));
    for (const { event } of items) {
      const { orderId, deliveryId } = event.data;
      const outcome = outcomes.get(orderId);
      if (outcome === 'unknown-order') throw new UnknownOrderError(orderId, event.type);
      if (outcome !== 'recorded') ctx.logger.debug({ orderId, deliveryId, eventId: event.id, outcome }, 'delivery already known');
    }
  };
}
