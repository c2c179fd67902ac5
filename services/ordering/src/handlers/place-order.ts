import { randomUUID } from 'node:crypto';
import { OrderPlaced, type OrderStatus } from '@tributary/contracts';
import { activeTraceparent } from 'tributary/telemetry';
import { childTraceparent, type Envelope, type PublishOptions } from 'tributary';
import { markHandled } from 'tributary/sql';
import type { OrderSnapshot } from '../domain/order-machine.ts';
import { planOrder, requestHash, type NewOrder } from '../domain/place-order.ts';
import { appendHistory, claimIdempotencyKey, findOrder, insertOrder } from '../store/orders-store.ts';
import { GROUP, type OrderingContext } from './context.ts';
import { orderingError } from '../errors.ts';

export interface PlacedOrder {
  orderId: string;
  status: OrderStatus;
  /** False when an Idempotency-Key, a redelivered event or a known order id replayed an earlier order. */
  created: boolean;
}

export interface PlaceOrderOptions {
  idempotencyKey?: string | undefined;
  /** The caller's W3C trace context: the order's events continue its trace. */
  traceparent?: string | undefined;
  /** An order id chosen upstream (the basket's checkout); an order with this id is created at most once. */
  orderId?: string | undefined;
  /**
   * The event asking for this order (CheckoutRequested): it is marked
   * handled in the order's transaction and causes OrderPlaced (derived id,
   * same correlation and trace).
   */
  causedBy?: Envelope | undefined;
}

/**
 * Places an order: the row, its first timeline entry, OrderPlaced in the
 * outbox and the Idempotency-Key or "event handled" record commit in one
 * transaction, so a crash leaves all or nothing and the event is published
 * even if the bus is down now (right after the commit when it is up). POST /orders and the basket's checkout both
 * come through here.
 */
export async function placeOrder(ctx: OrderingContext, input: NewOrder, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
  const { idempotencyKey, causedBy } = options;
  const plan = planOrder(input);
  if (!plan.ok) throw orderingError(plan.code, plan.message);
  const order: OrderSnapshot = {
    id: options.orderId ?? randomUUID(),
    userId: input.userId,
    status: 'AWAITING_PAYMENT',
    items: input.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    totalCents: plan.totalCents,
    failureReason: null,
  };
  // The order id correlates the whole saga: every event it causes carries it (timelines, logs).
  // The trace: the active request span when tracing is on, else the caller's traceparent.
  const trace: PublishOptions = {
    ...(causedBy ? { causedBy } : options.traceparent && !activeTraceparent() ? { traceparent: childTraceparent(options.traceparent) } : {}),
    correlationId: order.id,
  };
  // Built before the transaction: an invalid event is a bad request, found before anything is written.
  const placed = ctx.publisher.envelope(OrderPlaced, {
    orderId: order.id,
    userId: order.userId,
    items: order.items,
    totalCents: order.totalCents,
  }, trace);
  // What the client asked for, without the prices ordering filled in: a retry
  // after a price change is the same request and replays the same order.
  const hash = requestHash({ userId: input.userId, items: order.items.map(({ productId, quantity }) => ({ productId, quantity })) });

  const result = await ctx.outbox.transaction(async (tx, emit): Promise<PlacedOrder | 'reused'> => {
    if (causedBy && !(await markHandled(tx, GROUP, causedBy.id))) return existing(tx, order.id);
    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(tx, idempotencyKey, hash, order.id);
      if (!claim.claimed) {
        return claim.requestHash === hash ? { orderId: claim.orderId, status: claim.status, created: false } : 'reused';
      }
    }
    if (!(await insertOrder(tx, order))) return existing(tx, order.id);
    await appendHistory(tx, order.id, order.status, causedBy?.id ?? null);
    emit(placed);
    return { orderId: order.id, status: order.status, created: true };
  });
  if (result === 'reused') {
    throw orderingError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
  }
  return result;
}

async function existing(tx: Parameters<typeof findOrder>[0], orderId: string): Promise<PlacedOrder> {
  const order = await findOrder(tx, orderId);
  if (!order) throw new Error(`order ${orderId} is marked as placed but does not exist`);
  return { orderId, status: order.status, created: false };
}
