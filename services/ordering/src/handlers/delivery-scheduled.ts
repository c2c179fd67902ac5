import type { DeliveryScheduled } from '@tributary/contracts';
import type { SqlEventHandler } from 'tributary/sql';
import { recordDelivery } from '../store/orders-store.ts';
import type { OrderingContext } from './context.ts';
import { UnknownOrderError } from './saga-events.ts';

/**
 * Remembers which delivery flies an order's parcel, so GET /orders/:id can
 * point at it. Changes no status and emits nothing. An unknown order is
 * retried and then dead-lettered, like a saga event for one: orders commit
 * long before anything about their parcel can exist.
 */
export function deliveryScheduledHandler(ctx: OrderingContext): SqlEventHandler<typeof DeliveryScheduled> {
  return async (tx, { event }) => {
    const { orderId, deliveryId } = event.data;
    const recorded = await recordDelivery(tx, orderId, deliveryId);
    if (recorded === 'unknown-order') throw new UnknownOrderError(orderId, event.type);
    if (recorded !== 'recorded') ctx.logger.debug({ orderId, deliveryId, eventId: event.id, outcome: recorded }, 'delivery already known');
  };
}
