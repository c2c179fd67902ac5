import { randomUUID } from 'node:crypto';
import { OrderPlaced, type OrderStatus } from '@tributary/contracts';
import { childTraceparent } from 'tributary';
import { HttpError } from 'tributary/http';
import type { OrderSnapshot } from '../domain/order-machine.ts';
import { planOrder, requestHash, type NewOrder } from '../domain/place-order.ts';
import { appendHistory, claimIdempotencyKey, insertOrder } from '../store/orders-store.ts';
import type { OrderingContext } from './context.ts';

export interface PlacedOrder {
  orderId: string;
  status: OrderStatus;
  /** False when an Idempotency-Key replayed an earlier order. */
  created: boolean;
}

/**
 * Places an order: the row, its first timeline entry, OrderPlaced in the
 * outbox and the Idempotency-Key commit in one transaction, so a crash leaves
 * all or nothing and the event is published even if the bus is down now.
 */
export interface PlaceOrderOptions {
  idempotencyKey?: string | undefined;
  /** The caller's W3C trace context: the order's events continue its trace. */
  traceparent?: string | undefined;
}

export async function placeOrder(ctx: OrderingContext, input: NewOrder, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
  const { idempotencyKey } = options;
  const plan = planOrder(input);
  if (!plan.ok) throw new HttpError(400, plan.code, plan.message);
  const order: OrderSnapshot = {
    id: randomUUID(),
    userId: input.userId,
    status: 'AWAITING_PAYMENT',
    items: input.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    totalCents: plan.totalCents,
    failureReason: null,
  };
  // Built before the transaction: an invalid event is a bad request, found before anything is written.
  const placed = ctx.publisher.envelope(OrderPlaced, {
    orderId: order.id,
    userId: order.userId,
    items: order.items,
    totalCents: order.totalCents,
  }, options.traceparent ? { traceparent: childTraceparent(options.traceparent) } : {});
  const hash = requestHash({ userId: input.userId, items: order.items });

  const result = await ctx.db.transaction(async (tx): Promise<PlacedOrder | 'reused'> => {
    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(tx, idempotencyKey, hash, order.id);
      if (!claim.claimed) {
        return claim.requestHash === hash ? { orderId: claim.orderId, status: claim.status, created: false } : 'reused';
      }
    }
    await insertOrder(tx, order);
    await appendHistory(tx, order.id, order.status, null);
    await ctx.outbox.add(tx, placed);
    return { orderId: order.id, status: order.status, created: true };
  });
  if (result === 'reused') {
    throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
  }
  if (result.created) ctx.outbox.nudge();
  return result;
}
