/**
 * The money rules of accounts (the book's "User service"), as pure functions:
 * given a user's balance and a reservation, what happens. No I/O here; the
 * handlers load rows under lock, ask these functions, and store the answer.
 *
 * Invariants every function keeps (and the tests check):
 * - available + reserved + spent is the same before and after (money is conserved);
 * - no bucket goes below zero;
 * - a reservation moves RESERVED → CAPTURED or RESERVED → REFUNDED once; any
 *   other state is final, so a second capture or refund is a no-op.
 */

export interface Balance {
  availableCents: number;
  reservedCents: number;
  spentCents: number;
}

export const RESERVATION_STATUSES = ['RESERVED', 'CAPTURED', 'REFUNDED', 'FAILED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface Reservation {
  status: ReservationStatus;
  amountCents: number;
}

export type PaymentFailureReason = 'FAILED_PAYMENT_NO_FUNDS' | 'FAILED_PAYMENT_UNKNOWN_USER';

export type ReserveDecision =
  /** The order already has a reservation (any state): nothing to do, nothing to emit. */
  | { kind: 'already-decided' }
  | { kind: 'failed'; reason: PaymentFailureReason }
  | { kind: 'reserved'; balance: Balance };

export type SettleDecision =
  /** Not RESERVED (already captured, refunded, or never reserved): a no-op. */
  | { kind: 'skip'; status: ReservationStatus }
  | { kind: 'settled'; status: 'CAPTURED' | 'REFUNDED'; balance: Balance };

export function totalCents(balance: Balance): number {
  return balance.availableCents + balance.reservedCents + balance.spentCents;
}

function assertAmount(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents < 0) throw new RangeError(`invalid amount ${amountCents}`);
}

/** OrderPlaced: reserve the order's total from the available balance, or fail. */
export function decideReserve(input: {
  balance: Balance | null;
  existing: Reservation | null;
  amountCents: number;
}): ReserveDecision {
  assertAmount(input.amountCents);
  if (input.existing) return { kind: 'already-decided' };
  if (!input.balance) return { kind: 'failed', reason: 'FAILED_PAYMENT_UNKNOWN_USER' };
  const { availableCents, reservedCents, spentCents } = input.balance;
  if (availableCents < input.amountCents) return { kind: 'failed', reason: 'FAILED_PAYMENT_NO_FUNDS' };
  return {
    kind: 'reserved',
    balance: { availableCents: availableCents - input.amountCents, reservedCents: reservedCents + input.amountCents, spentCents },
  };
}

function settle(balance: Balance, reservation: Reservation, to: 'CAPTURED' | 'REFUNDED'): SettleDecision {
  if (reservation.status !== 'RESERVED') return { kind: 'skip', status: reservation.status };
  const amount = reservation.amountCents;
  assertAmount(amount);
  // A RESERVED reservation is always covered by reservedCents; if not, the
  // store is corrupt and we must stop rather than invent money.
  if (balance.reservedCents < amount) {
    throw new RangeError(`reserved balance ${balance.reservedCents} does not cover reservation of ${amount}`);
  }
  const reservedCents = balance.reservedCents - amount;
  return to === 'CAPTURED'
    ? { kind: 'settled', status: to, balance: { ...balance, reservedCents, spentCents: balance.spentCents + amount } }
    : { kind: 'settled', status: to, balance: { ...balance, reservedCents, availableCents: balance.availableCents + amount } };
}

/** OrderCompleted: the final deduction of the reservation. */
export function decideCapture(balance: Balance, reservation: Reservation): SettleDecision {
  return settle(balance, reservation, 'CAPTURED');
}

/** OrderRefundRequested: the reservation goes back to the available balance. */
export function decideRefund(balance: Balance, reservation: Reservation): SettleDecision {
  return settle(balance, reservation, 'REFUNDED');
}
