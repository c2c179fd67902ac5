import type { Envelope } from 'tributary';
import type { Emitted, SqlExecutor } from 'tributary/sql';
import { transition, type OrderEvent } from '../domain/order-machine.ts';
import { findCustomerAddress } from '../store/customers-store.ts';
import { appendHistory, lockOrder, updateStatus } from '../store/orders-store.ts';
import { GROUP, outputEnvelope, type OrderingContext } from './context.ts';

/** The order is unknown here: it can never become known (orders commit before their events), so retries end in the dead-letter stream where an operator sees it. */
export class UnknownOrderError extends Error {
  constructor(orderId: string, eventType: string) {
    super(`${eventType} for unknown order ${orderId}`);
    this.name = 'UnknownOrderError';
  }
}

/**
 * Applies one saga event inside the transaction of its batch (the kit has
 * marked it handled there): the locked order, its new status, the timeline
 * row and the output event (returned, for the outbox) commit together or not
 * at all. An event that does not fit the status changes nothing.
 */
export async function applyOrderEvent(ctx: OrderingContext, tx: SqlExecutor, envelope: Envelope, event: OrderEvent): Promise<Emitted> {
  const orderId = event.data.orderId;
  const order = await lockOrder(tx, orderId);
  if (!order) throw new UnknownOrderError(orderId, event.type);
  // Read under the order's lock, in the transaction that emits OrderAwaitingShipment.
  const customerAddress = event.type === 'PaymentReserved' ? await findCustomerAddress(tx, order.userId) : null;
  const step = transition(order, event, { customerAddress });
  if (!step) {
    ctx.logger.debug({ orderId, eventId: envelope.id, type: event.type }, 'event changes nothing');
    return;
  }
  await updateStatus(tx, order.id, step.status, step.failureReason);
  await appendHistory(tx, order.id, step.status, envelope.id);
  return outputEnvelope(ctx.publisher, step.output, envelope);
}
