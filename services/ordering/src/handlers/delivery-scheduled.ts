import type { DeliveryScheduled } from '@tributary/contracts';
import type { Handler } from 'tributary';
import { markHandled } from 'tributary/sql';
import { recordDelivery } from '../store/orders-store.ts';
import { GROUP, type OrderingContext } from './context.ts';
import { UnknownOrderError } from './saga-events.ts';

/**
 * Remembers which delivery flies an order's parcel, so GET /orders/:id can
 * point at it. Changes no status and emits nothing. An unknown order is
 * retried and then dead-lettered, like a saga event for one: orders commit
 * long before anything about their parcel can exist.
 */
export function deliveryScheduledHandler(ctx: OrderingContext): Handler<typeof DeliveryScheduled> {
  return async (event) => {
    const { orderId, deliveryId } = event.data;
    const outcome = await ctx.db.transaction(async (tx) => {
      if (!(await markHandled(tx, GROUP, event.id))) return 'duplicate' as const;
      const recorded = await recordDelivery(tx, orderId, deliveryId);
      if (recorded === 'unknown-order') throw new UnknownOrderError(orderId, event.type);
      return recorded;
    });
    if (outcome !== 'recorded') ctx.logger.debug({ orderId, deliveryId, eventId: event.id, outcome }, 'delivery already known');
  };
}
