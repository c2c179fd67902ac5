import { OrderShipped, PaymentFailed, PaymentRefunded, PaymentReserved, ShipmentFailed } from '@tributary/contracts';
import type { Envelope, EventData } from 'tributary';
import type { SqlBatchItem, SqlExecutor } from 'tributary/sql';
import { transition, type OrderEvent, type OrderSnapshot } from '../domain/order-machine.ts';
import { findCustomerAddresses } from '../store/customers-store.ts';
import { applyStatusChanges, lockOrders, type StatusChange } from '../store/orders-store.ts';
import { outputEnvelope, type OrderingContext } from './context.ts';

/** The order is unknown here: it can never become known (orders commit before their events), so retries end in the dead-letter stream where an operator sees it. */
export class UnknownOrderError extends Error {
  constructor(orderId: string, eventType: string) {
    super(`${eventType} for unknown order ${orderId}`);
    this.name = 'UnknownOrderError';
  }
}


/**
 * Accounts reserved another sum than the order's total: a bug or tampering
 * upstream, never a state to move the order on from. Retried, then
 * dead-lettered, where an operator sees it (the order stays AWAITING_PAYMENT).
 */
export class PaymentAmountMismatchError extends Error {
  constructor(orderId: string, reservedCents: number, totalCents: number) {
    super(`PaymentReserved for order ${orderId} reserves ${reservedCents} cents, the order's total is ${totalCents}`);
    this.name = 'PaymentAmountMismatchError';
  }
}

function orderEventOf(envelope: Envelope): OrderEvent {
  // The casts name what the consumer's schema check has already established for this type.
  switch (envelope.type) {
    case PaymentReserved.type:
      return { type: 'PaymentReserved', data: envelope.data as EventData<typeof PaymentReserved> };
    case PaymentFailed.type:
      return { type: 'PaymentFailed', data: envelope.data as EventData<typeof PaymentFailed> };
    case PaymentRefunded.type:
      return { type: 'PaymentRefunded', data: envelope.data as EventData<typeof PaymentRefunded> };
    case OrderShipped.type:
      return { type: 'OrderShipped', data: envelope.data as EventData<typeof OrderShipped> };
    case ShipmentFailed.type:
      return { type: 'ShipmentFailed', data: envelope.data as EventData<typeof ShipmentFailed> };
    default:
      throw new Error(`not a saga event: ${envelope.type}`);
  }
}

/**
 * Applies a run of saga events inside the transaction of their batch (the
 * kit has marked them handled there), set-based: one statement locks every
 * order they name, one reads the addresses a payment needs, the machine runs
 * in memory in stream order (an order named twice sees its own earlier
 * step), and one statement writes the statuses and the timeline. The result
 * equals applying them one by one: the same locks, the same transitions, the
 * same outputs (returned, for the outbox). An event that does not fit its
 * order's status changes nothing.
 */
export async function applyOrderEvents(ctx: OrderingContext, tx: SqlExecutor, items: readonly SqlBatchItem[]): Promise<Envelope[]> {
  const events = items.map((item) => ({ envelope: item.event, event: orderEventOf(item.event) }));
  const orders: Map<string, OrderSnapshot> = await lockOrders(tx, [...new Set(events.map(({ event }) => event.data.orderId))]);
  for (const { event } of events) {
    const order = orders.get(event.data.orderId);
    if (!order) throw new UnknownOrderError(event.data.orderId, event.type);
    if (event.type === 'PaymentReserved' && event.data.amountCents !== order.totalCents) {
      throw new PaymentAmountMismatchError(order.id, event.data.amountCents, order.totalCents);
    }
  }
  // Read under the orders' locks, in the transaction that emits OrderAwaitingShipment.
  const payers = events.filter(({ event }) => event.type === 'PaymentReserved').map(({ event }) => orders.get(event.data.orderId)!.userId);
  const addresses = await findCustomerAddresses(tx, [...new Set(payers)]);

  const changes: StatusChange[] = [];
  const outputs: Envelope[] = [];
  for (const { envelope, event } of events) {
    const order = orders.get(event.data.orderId)!;
    const step = transition(order, event, { customerAddress: event.type === 'PaymentReserved' ? (addresses.get(order.userId) ?? null) : null });
    if (!step) {
      ctx.logger.debug({ orderId: order.id, eventId: envelope.id, type: event.type }, 'event changes nothing');
      continue;
    }
    orders.set(order.id, { ...order, status: step.status, failureReason: step.failureReason });
    changes.push({ orderId: order.id, status: step.status, failureReason: step.failureReason, causeEventId: envelope.id });
    outputs.push(outputEnvelope(ctx.publisher, step.output, envelope));
  }
  await applyStatusChanges(tx, changes);
  return outputs;
}
