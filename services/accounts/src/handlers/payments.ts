import {
  OrderCompleted,
  OrderPlaced,
  OrderRefundRequested,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
} from '@tributary/contracts';
import type { Consumer, EventData, Envelope, Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import { markHandled, type SqlDatabase, type SqlExecutor } from 'tributary/sql';
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
 * The accounts side of the order saga. Each handler runs in one transaction:
 * the "handled" marker, the balance change, the reservation row and the
 * outgoing event (in the outbox) commit together or not at all. Outgoing
 * events are caused by the incoming one, so their ids are derived from it.
 *
 * Locks are always taken user first, then reservation, so two handlers for
 * one user cannot deadlock each other.
 */
export function registerPaymentHandlers(consumer: Consumer, deps: PaymentHandlerDeps): Consumer {
  const { db, outbox, publisher, group } = deps;

  /** `work` returns true when it emitted an event, so the relay is nudged after commit. */
  async function inTransaction(event: Envelope, work: (tx: SqlExecutor) => Promise<boolean>): Promise<void> {
    const emitted = await db.transaction(async (tx) => {
      if (!(await markHandled(tx, group, event.id))) return false;
      return work(tx);
    });
    if (emitted) outbox.nudge();
  }

  async function onOrderPlaced(event: Envelope<EventData<typeof OrderPlaced>>): Promise<void> {
    const { orderId, userId, totalCents } = event.data;
    await inTransaction(event, async (tx) => {
      const user = await lockBalance(tx, userId);
      const existing = await findReservation(tx, orderId);
      const decision = decideReserve({ balance: user?.balance ?? null, existing, amountCents: totalCents });
      if (decision.kind === 'already-decided') return false;
      const status = decision.kind === 'reserved' ? 'RESERVED' : 'FAILED';
      // Only the unknown-user case runs without a row lock; a racing twin then loses here.
      if (!(await insertReservation(tx, { orderId, userId, amountCents: totalCents, status }))) return false;
      if (decision.kind === 'reserved' && user) {
        await writeBalance(tx, userId, decision.balance);
        await outbox.add(tx, publisher.envelope(PaymentReserved, { orderId, userId, amountCents: totalCents, country: user.country }, { causedBy: event }));
      } else if (decision.kind === 'failed') {
        await outbox.add(tx, publisher.envelope(PaymentFailed, { orderId, userId, reason: decision.reason }, { causedBy: event }));
      }
      return true;
    });
  }

  /** Capture and refund share their shape: RESERVED → final state, or nothing. */
  function settleHandler(kind: 'capture' | 'refund') {
    return async (event: Envelope<{ orderId: string }>): Promise<void> => {
      const { orderId } = event.data;
      await inTransaction(event, async (tx) => {
        const unlocked = await findReservation(tx, orderId);
        // Ordering asks to settle only after PaymentReserved, so a missing
        // reservation means we are behind or something is wrong: throw, and the
        // kit retries, then dead-letters it for an operator.
        if (!unlocked) throw new Error(`no reservation for order ${orderId}`);
        const user = await lockBalance(tx, unlocked.userId);
        const reservation = await findReservation(tx, orderId, { forUpdate: true });
        if (!reservation) throw new Error(`reservation for order ${orderId} vanished`);
        if (reservation.status !== 'RESERVED') return false;
        if (!user) throw new Error(`user ${reservation.userId} of reserved order ${orderId} does not exist`);
        const decision = kind === 'capture' ? decideCapture(user.balance, reservation) : decideRefund(user.balance, reservation);
        if (decision.kind === 'skip') return false;
        await writeBalance(tx, reservation.userId, decision.balance);
        await setReservationStatus(tx, orderId, decision.status);
        const data = { orderId, userId: reservation.userId, amountCents: reservation.amountCents };
        const outgoing =
          kind === 'capture' ? publisher.envelope(PaymentCaptured, data, { causedBy: event }) : publisher.envelope(PaymentRefunded, data, { causedBy: event });
        await outbox.add(tx, outgoing);
        return true;
      });
    };
  }

  return consumer.on(OrderPlaced, onOrderPlaced).on(OrderCompleted, settleHandler('capture')).on(OrderRefundRequested, settleHandler('refund'));
}
