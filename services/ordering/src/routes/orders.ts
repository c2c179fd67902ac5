import type { HttpApp } from 'tributary/http';
import type { OrderingContext } from '../handlers/context.ts';
import { createOrderPlacer } from '../handlers/place-orders-together.ts';
import type { OwnerLookups } from '../owner-lookups.ts';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { RECHECK_MS } from '../order-watch.ts';
import { createOrderReads } from '../store/order-reads.ts';
import { ordersOfUser } from '../store/orders-store.ts';
import {
  ErrorBody,
  NewOrderBody,
  OrderHeaders,
  OrderAccepted,
  OrderList,
  OrderParams,
  OrderReadQuery,
  OrdersQuery,
  OrderView,
} from './schemas.ts';
import { orderingError } from '../errors.ts';

/**
 * Ordering's internal HTTP API (the gateway calls it): place, read and list
 * orders. `owners` answers for users and products ordering has no copy of yet.
 */
export function ordersRoutes(ctx: OrderingContext, owners: OwnerLookups | null = null) {
  // Concurrent POSTs share one transaction (handlers/place-orders-together.ts).
  const placer = createOrderPlacer(ctx, owners);
  // Concurrent reads share statements too (store/order-reads.ts).
  const reads = createOrderReads(ctx.db);
  return async function plugin(app: HttpApp): Promise<void> {
    app.post(
      '/orders',
      { schema: { body: NewOrderBody, headers: OrderHeaders, response: { 202: OrderAccepted, 400: ErrorBody, 422: ErrorBody, 503: ErrorBody } } },
      async (request, reply) => {
        const placed = await placer.place({
          body: request.body,
          idempotencyKey: request.headers['idempotency-key'],
          traceparent: request.headers.traceparent,
        });
        return reply.status(202).send({ orderId: placed.orderId, status: placed.status });
      },
    );

    app.get(
      '/orders/:id',
      { schema: { params: OrderParams, querystring: OrderReadQuery, response: { 200: OrderView, 404: ErrorBody } } },
      async (request) => {
        const { id } = request.params;
        const waitMs = request.query.waitMs ?? 0;
        if (waitMs > 0) {
          // Long-poll: a client that wants the outcome asks once and is answered when it is there.
          // The status alone first; a wake by this instance's commit tells the new one, a
          // recheck (another instance's commit) reads it. The whole order is read once, at the end.
          const deadline = Date.now() + waitMs;
          let status = await reads.status(id);
          if (status === null) throw orderingError('ORDER_NOT_FOUND', `no order ${id}`);
          while (!TERMINAL_STATUSES.includes(status) && Date.now() < deadline) {
            const told = await ctx.watch.next(id, Math.min(RECHECK_MS, deadline - Date.now()));
            status = told ?? (await reads.status(id)) ?? status;
          }
        }
        const order = await reads.withHistory(id);
        if (!order) throw orderingError('ORDER_NOT_FOUND', `no order ${id}`);
        return {
          id: order.id,
          userId: order.userId,
          totalCents: order.totalCents,
          status: order.status,
          items: order.items,
          failureReason: order.failureReason,
          history: order.history,
          createdAt: order.createdAt,
          customerName: order.customerName,
          deliveryId: order.deliveryId,
        };
      },
    );

    app.get(
      '/orders',
      { schema: { querystring: OrdersQuery, response: { 200: OrderList } } },
      async (request) => {
        const orders = await ordersOfUser(ctx.db, request.query.userId, request.query.limit ?? 20);
        return {
          items: orders.map((order) => ({
            id: order.id,
            userId: order.userId,
            totalCents: order.totalCents,
            status: order.status,
            failureReason: order.failureReason,
            createdAt: order.createdAt,
            updatedAt: order.updatedAt,
          })),
        };
      },
    );
  };
}
