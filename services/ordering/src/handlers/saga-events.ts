import type { Envelope } from 'tributary';
import { markHandled } from 'tributary/sql';
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

type Outcome = 'applied' | 'duplicate' | 'ignored';

/**
 * Applies one saga event in one transaction: the "handled" marker, the
 * locked order, its new status, the timeline row and the output event in the
 * outbox commit together or not at all. A redelivery finds the marker and
 * does nothing; an event that does not fit the status is recorded as handled
 * and changes nothing.
 */
export async function applyOrderEvent(ctx: OrderingContext, envelope: Envelope, event: OrderEvent): Promise<Outcome> {
  const orderId = event.data.orderId;
  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    if (!(await markHandled(tx, GROUP, envelope.id))) return 'duplicate';
    const order = await lockOrder(tx, orderId);
    if (!order) throw new UnknownOrderError(orderId, event.type);
    // Read under the order's lock, in the transaction that emits OrderAwaitingShipment.
    const customerAddress = event.type === 'PaymentReserved' ? await findCustomerAddress(tx, order.userId) : null;
    const step = transition(order, event, { customerAddress });
    if (!step) return 'ignored';
    await updateStatus(tx, order.id, step.status, step.failureReason);
    await appendHistory(tx, order.id, step.status, envelope.id);
    await ctx.outbox.add(tx, outputEnvelope(ctx.publisher, step.output, envelope));
    return 'applied';
  });
  if (outcome === 'applied') ctx.outbox.nudge();
  else ctx.logger.debug({ orderId, eventId: envelope.id, type: event.type, outcome }, 'event changes nothing');
  return outcome;
}
