import { OrderRefundRequested, TERMINAL_STATUSES, type OrderStatus } from '@tributary/contracts';
import { Gauge, type Registry } from 'prom-client';
import type { HttpApp } from 'tributary/http';
import { Type } from 'tributary';
import type { SqlExecutor } from 'tributary/sql';
import type { OrderingContext } from './handlers/context.ts';
import { applyStatusChanges, lockOrders } from './store/orders-store.ts';
import { OPEN_STATUSES } from './store/schema.ts';
import { readOrderingSettings } from './settings.ts';
import { ErrorBody, OrderParams } from './routes/schemas.ts';
import { orderingError } from './errors.ts';

/**
 * Orders that wait for another service's answer longer than they should: a
 * step dead-lettered somewhere, a service down. Counted in /metrics
 * (`tributary_orders_stuck{status}`), listed for the dashboard, and one kind
 * resolved by an operator through the saga's own path.
 */

/** ORDER_STUCK_AFTER_MS when unset (settings.ts). */
export const DEFAULT_STUCK_AFTER_MS = readOrderingSettings({}).stuckAfterMs;

const cutoff = (stuckAfterMs: number) => new Date(Date.now() - stuckAfterMs).toISOString();

/** Stuck orders per open status (every open status present, 0 when none). */
export async function countStuckOrders(db: SqlExecutor, stuckAfterMs: number): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM orders
     WHERE status = ANY($1::text[]) AND updated_at < $2::timestamptz GROUP BY status`,
    [OPEN_STATUSES, cutoff(stuckAfterMs)],
  );
  const counts: Record<string, number> = Object.fromEntries(OPEN_STATUSES.map((status) => [status, 0]));
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

export interface StuckOrder {
  id: string;
  userId: string;
  status: OrderStatus;
  totalCents: number;
  updatedAt: string;
}

/** The longest-stuck orders first. */
export async function listStuckOrders(db: SqlExecutor, stuckAfterMs: number, limit: number): Promise<StuckOrder[]> {
  const { rows } = await db.query<{ id: string; user_id: string; status: OrderStatus; total_cents: string; updated_at: unknown }>(
    `SELECT id, user_id, status, total_cents::text AS total_cents, updated_at FROM orders
     WHERE status = ANY($1::text[]) AND updated_at < $2::timestamptz ORDER BY updated_at LIMIT $3`,
    [OPEN_STATUSES, cutoff(stuckAfterMs), limit],
  );
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    updatedAt: new Date(row.updated_at instanceof Date ? row.updated_at : String(row.updated_at)).toISOString(),
  }));
}

/** `tributary_orders_stuck{status}`, read from the database when /metrics is scraped (an indexed count of open orders). */
export function registerStuckMetrics(registry: Registry, db: SqlExecutor, stuckAfterMs: number): void {
  new Gauge({
    name: 'tributary_orders_stuck',
    help: 'Orders in a non-final status for longer than ORDER_STUCK_AFTER_MS, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await countStuckOrders(db, stuckAfterMs);
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
}

export type ResolveOutcome = { orderId: string; status: OrderStatus };

/**
 * Ends an order stuck AWAITING_SHIPMENT the way a failed shipment does:
 * AWAITING_REFUND and OrderRefundRequested, so accounts releases the money
 * and the saga finishes COMPLETED_WITH_FAILURE on its own. Only that status:
 * an order awaiting payment or a refund waits for accounts, whose dead
 * letter the operator replays instead (a refund without a reservation would
 * itself be dead-lettered). Idempotent: the second call finds the order no
 * longer stuck and changes nothing.
 */
export async function resolveStuckOrder(ctx: OrderingContext, orderId: string, stuckAfterMs: number): Promise<ResolveOutcome> {
  return ctx.outbox.transaction(async (tx, emit) => {
    const order = (await lockOrders(tx, [orderId])).get(orderId);
    if (!order) throw orderingError('ORDER_NOT_FOUND', `no order ${orderId}`);
    if (TERMINAL_STATUSES.includes(order.status)) throw orderingError('ORDER_FINISHED', `order ${orderId} is ${order.status} already`);
    if (Date.parse(order.updatedAt) > Date.now() - stuckAfterMs) {
      throw orderingError('ORDER_NOT_STUCK', `order ${orderId} changed less than ${stuckAfterMs} ms ago`);
    }
    if (order.status !== 'AWAITING_SHIPMENT') {
      throw orderingError('ORDER_WAITS_FOR_ACCOUNTS', `order ${orderId} is ${order.status}: it waits for accounts; replay accounts' dead letter for it instead`);
    }
    const reason = 'FAILED_STUCK_RESOLVED_BY_OPERATOR' as const;
    const requested = ctx.publisher.envelope(OrderRefundRequested, { orderId, userId: order.userId, reason }, { correlationId: orderId });
    await applyStatusChanges(tx, [{ orderId, status: 'AWAITING_REFUND', failureReason: reason, causeEventId: requested.id }]);
    emit(requested);
    ctx.logger.warn({ orderId, from: order.status }, 'stuck order resolved by an operator: refund requested');
    return { orderId, status: 'AWAITING_REFUND' as OrderStatus };
  });
}

const StuckQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false });
const StuckList = Type.Object({
  stuckAfterMs: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer()),
  items: Type.Array(
    Type.Object({ id: Type.String(), userId: Type.String(), status: Type.String(), totalCents: Type.Integer(), updatedAt: Type.String() }),
  ),
});
const Resolved = Type.Object({ orderId: Type.String(), status: Type.String() });

/** Internal routes the gateway's admin routes call: the list, and the operator's resolve. */
export function stuckOrdersRoutes(ctx: OrderingContext, stuckAfterMs: number) {
  return async function plugin(app: HttpApp): Promise<void> {
    app.get('/stuck-orders', { schema: { querystring: StuckQuery, response: { 200: StuckList } } }, async (request) => {
      const [counts, items] = await Promise.all([countStuckOrders(ctx.db, stuckAfterMs), listStuckOrders(ctx.db, stuckAfterMs, request.query.limit ?? 50)]);
      return { stuckAfterMs, counts, items };
    });
    app.post(
      '/stuck-orders/:id/resolve',
      { schema: { params: OrderParams, response: { 200: Resolved, 404: ErrorBody, 409: ErrorBody } } },
      async (request) => {
        const outcome = await resolveStuckOrder(ctx, request.params.id, stuckAfterMs);
        ctx.watch.changed(outcome.orderId);
        return outcome;
      },
    );
  };
}
