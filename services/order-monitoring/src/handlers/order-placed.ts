import type { Handler } from 'tributary';
import type { OrderPlaced } from '@tributary/contracts';
import { mergeLines } from '../domain/leaderboards.ts';
import type { OrderLinesStore } from '../store/order-lines-store.ts';

/** Keeps the order's lines for the best-sellers board: OrderCompleted will not carry them. */
export function orderPlacedHandler(deps: { orderLines: OrderLinesStore }): Handler<typeof OrderPlaced> {
  return async (event) => {
    await deps.orderLines.remember(event.data.orderId, mergeLines(event.data.items));
  };
}
