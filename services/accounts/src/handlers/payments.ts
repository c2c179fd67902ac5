import {
  OrderCompleted,
  OrderPlaced,
  OrderRefundRequested,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
} from '@tributary/contracts';
import type { Consumer, Envelope, EventData, Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import { sqlBatchHandlers, type SqlBatchItem, type SqlDatabase, type SqlExecutor } from 'tributary/sql';
import { decideCapture, decideRefund, decideReserve, type Balance, type ReservationStatus } from '../domain/payments.ts';
import { findReservations, insertReservations, setReservationStatuses, type StoredReservation } from '../store/reservations.ts';
import { lockBalances, writeBalances } from '../store/users.ts';

export interface PaymentHandlerDeps {
  db: SqlDatabase;
  outbox: Outbox;
  /** Writes PAYMENTS_STREAM (the outbox routes the payment events there). */
  publisher: Publisher;
  group: string;
}

type PaymentCommand =
  | { type: 'OrderPlaced'; envelope: Envelope; data: EventData<typeof OrderPlaced> }
  | { type: 'OrderCompleted'; envelope: Envelope; data: EventData<typeof OrderCompleted> }
  | { type: 'OrderRefundRequested'; envelope: Envelope; data: EventData<typeof OrderRefundRequested> };

function commandOf(envelope: Envelope): PaymentCommand {
  // The casts name what the consumer's schema check has already established for this type.
  switch (envelope.type) {
    case OrderPlaced.type:
      return { type: 'OrderPlaced', envelope, data: envelope.data as EventData<typeof OrderPlaced> };
    case OrderCompleted.type:
      return { type: 'OrderCompleted', envelope, data: envelope.data as EventData<typeof OrderCompleted> };
    case OrderRefundRequested.type:
      return { type: 'OrderRefundRequested', envelope, data: envelope.data as EventData<typeof OrderRefundRequested> };
    default:
      throw new Error(`not a payment event: ${envelope.type}`);
  }
}

/** A batch lost a race for a reservation row to another transaction: the kit then runs the batch one event per transaction. */
class ReservationRaceError extends Error {
  constructor() {
    super('another transaction wrote a reservation of this batch; retrying one event at a time');
    this.name = 'ReservationRaceError';
  }
}

/**
 * The accounts side of the order saga. A read of ordering's stream runs in one
 * transaction: the "handled" markers, the balance changes, the reservation
 * rows and the outgoing events (in the outbox) commit together or not at all. Outgoing
 * events are caused by the incoming one, so their ids are derived from it.
 *
 * Set-based: one statement finds the reservations the batch names (settling
 * needs their user; a reservation never changes user, so an unlocked read
 * says whom to lock), one locks every user involved, one locks those
 * reservations; the money rules then run in memory in stream order, each
 * decision seeing the balance the previous one left, exactly as one by one;
 * three statements write new reservations, settled ones and balances.
 * Locks are always taken users first (in id order), then reservations (in
 * order id order), so two batches cannot deadlock each other.
 */
export function registerPaymentHandlers(consumer: Consumer, deps: PaymentHandlerDeps): Consumer {
  const { outbox, publisher, group } = deps;

  async function paymentEvents(tx: SqlExecutor, items: readonly SqlBatchItem[]): Promise<Envelope[]> {
    const commands = items.map((item) => commandOf(item.event));
    const orderIds = [...new Set(commands.map((command) => command.data.orderId))];
    const known = await findReservations(tx, orderIds);
    const userIds = new Set<string>();
    for (const command of commands) {
      const userId = command.type === 'OrderPlaced' ? command.data.userId : known.get(command.data.orderId)?.userId;
      if (userId !== undefined) userIds.add(userId);
    }
    const users = await lockBalances(tx, [...userIds].sort());
    const reservations = known.size === 0 ? new Map<string, StoredReservation>() : await findReservations(tx, [...known.keys()].sort(), { forUpdate: true });

    const created: StoredReservation[] = [];
    const settled = new Map<string, ReservationStatus>();
    const balances = new Map<string, Balance>();
    const emitted: Envelope[] = [];
    for (const command of commands) {
      const { orderId } = command.data;
      if (command.type === 'OrderPlaced') {
        const { userId, totalCents } = command.data;
        const user = users.get(userId) ?? null;
        const decision = decideReserve({ balance: user?.balance ?? null, existing: reservations.get(orderId) ?? null, amountCents: totalCents });
        if (decision.kind === 'already-decided') continue;
        const reservation: StoredReservation = { orderId, userId, amountCents: totalCents, status: decision.kind === 'reserved' ? 'RESERVED' : 'FAILED' };
        reservations.set(orderId, reservation);
        created.push(reservation);
        if (decision.kind === 'reserved' && user) {
          users.set(userId, { ...user, balance: decision.balance });
          balances.set(userId, decision.balance);
          emitted.push(publisher.envelope(PaymentReserved, { orderId, userId, amountCents: totalCents, country: user.country }, { causedBy: command.envelope }));
        } else if (decision.kind === 'failed') {
          emitted.push(publisher.envelope(PaymentFailed, { orderId, userId, reason: decision.reason }, { causedBy: command.envelope }));
        }
        continue;
      }
      const reservation = reservations.get(orderId);
      // Ordering asks to settle only after PaymentReserved, so a missing
      // reservation means we are behind or something is wrong: throw, and the
      // kit retries, then dead-letters it for an operator.
      if (!reservation) throw new Error(`no reservation for order ${orderId}`);
      if (reservation.status !== 'RESERVED') continue;
      const user = users.get(reservation.userId);
      if (!user) throw new Error(`user ${reservation.userId} of reserved order ${orderId} does not exist`);
      const capture = command.type === 'OrderCompleted';
      const decision = capture ? decideCapture(user.balance, reservation) : decideRefund(user.balance, reservation);
      if (decision.kind === 'skip') continue;
      users.set(reservation.userId, { ...user, balance: decision.balance });
      balances.set(reservation.userId, decision.balance);
      reservations.set(orderId, { ...reservation, status: decision.status });
      settled.set(orderId, decision.status);
      const data = { orderId, userId: reservation.userId, amountCents: reservation.amountCents };
      emitted.push(capture ? publisher.envelope(PaymentCaptured, data, { causedBy: command.envelope }) : publisher.envelope(PaymentRefunded, data, { causedBy: command.envelope }));
    }

    // New reservations first: a row another transaction wrote meanwhile
    // (possible only for an unknown user, whose decision takes no row lock)
    // means this decision must not stand. Alone, the event then does nothing,
    // as its twin decided; in a batch, the kit retries it one event at a time.
    const written = await insertReservations(tx, created);
    if (written.size !== created.length) {
      if (items.length > 1) throw new ReservationRaceError();
      return [];
    }
    await setReservationStatuses(tx, settled);
    await writeBalances(tx, balances);
    return emitted;
  }

  // One transaction per read of the stream (the kit's batched SQL handlers);
  // one function for the three types, so a read is one set-based call.
  sqlBatchHandlers(consumer, { outbox, group })
    .onMany(OrderPlaced, paymentEvents)
    .onMany(OrderCompleted, paymentEvents)
    .onMany(OrderRefundRequested, paymentEvents);
  return consumer;
}
