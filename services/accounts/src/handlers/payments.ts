import {
  OrderCompleted,
  OrderPlaced,
  OrderRefundRequested,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
} from '@tributary/contracts';
import type { Consumer, Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import { sqlBatchHandlers, type Emitted, type SqlBatchItem, type SqlDatabase, type SqlExecutor } from 'tributary/sql';
import { decideCapture, decideRefund, decideReserve } from '../domain/payments.ts';
import { findReservation, insertReservation, setReservationStatus } from '../store/reservations.ts';
import { lockBalance, writeBalance } from '../store/users.ts';

export interface PaymentHandlerDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
  group: string;
}

/**
 * The accounts side of the order saga. A read of ordering's stream runs in one
 * transaction: the "handled" markers, the balance changes, the reservation
 * rows and the outgoing events (in the outbox) commit together or not at all. Outgoing
 * events are caused by the incoming one, so their ids are derived from it.
 *
 * Locks are always taken user first, then reservation, so two handlers for
 * one user cannot deadlock each other.
 */
export function registerPaymentHandlers(consumer: Consumer, deps: PaymentHandlerDeps): Consumer {
  const { outbox, publisher, group } = deps;

  async function onOrderPlaced(tx: SqlExecutor, { event }: SqlBatchItem<typeof OrderPlaced>): Promise<Emitted> {
    const { orderId, userId, totalCents } = event.data;
    const user = await lockBalance(tx, userId);
    const existing = await findReservation(tx, orderId);
    const decision = decideReserve({ balance: user?.balance ?? null, existing, amountCents: totalCents });
    if (decision.kind === 'already-decided') return;
    const status = decision.kind === 'reserved' ? 'RESERVED' : 'FAILED';
    // Only the unknown-user case runs without a row lock; a racing twin then loses here.
    if (!(await insertReservation(tx, { orderId, userId, amountCents: totalCents, status }))) return;
    if (decision.kind === 'reserved' && user) {
      await writeBalance(tx, userId, decision.balance);
      return publisher.envelope(PaymentReserved, { orderId, userId, amountCents: totalCents, country: user.country }, { causedBy: event });
    }
    if (decision.kind === 'failed') return publisher.envelope(PaymentFailed, { orderId, userId, reason: decision.reason }, { causedBy: event });
    return;
  }

  /** Capture and refund share their shape: RESERVED → final state, or nothing. */
  function settleHandler(kind: 'capture' | 'refund') {
    return async (tx: SqlExecutor, { event }: SqlBatchItem<typeof OrderCompleted | typeof OrderRefundRequested>): Promise<Emitted> => {
      const { orderId } = event.data;
      const unlocked = await findReservation(tx, orderId);
      // Ordering asks to settle only after PaymentReserved, so a missing
      // reservation means we are behind or something is wrong: throw, and the
      // kit retries, then dead-letters it for an operator.
      if (!unlocked) throw new Error(`no reservation for order ${orderId}`);
      const user = await lockBalance(tx, unlocked.userId);
      const reservation = await findReservation(tx, orderId, { forUpdate: true });
      if (!reservation) throw new Error(`reservation for order ${orderId} vanished`);
      if (reservation.status !== 'RESERVED') return;
      if (!user) throw new Error(`user ${reservation.userId} of reserved order ${orderId} does not exist`);
      const decision = kind === 'capture' ? decideCapture(user.balance, reservation) : decideRefund(user.balance, reservation);
      if (decision.kind === 'skip') return;
      await writeBalance(tx, reservation.userId, decision.balance);
      await setReservationStatus(tx, orderId, decision.status);
      const data = { orderId, userId: reservation.userId, amountCents: reservation.amountCents };
      return kind === 'capture' ? publisher.envelope(PaymentCaptured, data, { causedBy: event }) : publisher.envelope(PaymentRefunded, data, { causedBy: event });
    };
  }

  // One transaction per read of the stream (the kit's batched SQL handlers);
  // reservations are decided one event at a time inside it, in stream order,
  // because each decision depends on the balance the previous one left.
  sqlBatchHandlers(consumer, { outbox, group })
    .on(OrderPlaced, onOrderPlaced)
    .on(OrderCompleted, settleHandler('capture'))
    .on(OrderRefundRequested, settleHandler('refund'));
  return consumer;
}
