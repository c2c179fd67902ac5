import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { OrderCompleted } from '@tributary/contracts';
import type { OrderLeaderboards } from '../store/leaderboards.ts';
import type { OrderLinesStore } from '../store/order-lines-store.ts';

/**
 * Only a successfully completed order ranks. The event id is the operation id
 * on both boards, so a redelivery (or a crash between the two boards) never
 * counts anything twice. The event's time is passed so a day board, should one
 * be added, files a redelivery under the same day.
 *
 * An order whose OrderPlaced was never seen here (placed before this service
 * existed, or its lines expired) still counts for its spender, since
 * OrderCompleted carries the total, but not for best-sellers: retrying would
 * not bring the lines back.
 *
 * The lines go once both boards have counted the order: at full load they
 * were most of this service's keys (6 500 a minute, each kept a week). A
 * redelivery after that finds none and counts nothing again anyway (the
 * boards already hold its operation id); only a first delivery warns.
 */
export function orderCompletedHandler(deps: { orderLines: OrderLinesStore; boards: OrderLeaderboards; logger: Logger }): Handler<typeof OrderCompleted> {
  return async (event, context) => {
    const { orderId, userId, totalCents } = event.data;
    const operation = { operationId: event.id, at: event.time };
    const lines = await deps.orderLines.read(orderId);
    await deps.boards['top-spenders'].increment(userId, totalCents, operation);
    if (lines) {
      await deps.boards['best-sellers'].incrementMany(lines.map((line) => ({ member: line.productId, by: line.quantity })), operation);
      await deps.orderLines.forget(orderId);
    } else if (context.deliveryCount === 1) {
      deps.logger.warn({ orderId, eventId: event.id }, 'OrderCompleted without known lines: counted for top-spenders, not for best-sellers');
    }
  };
}
