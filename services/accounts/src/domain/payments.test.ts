import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideCapture,
  decideRefund,
  decideReserve,
  totalCents,
  type Balance,
  type Reservation,
} from './payments.ts';

const balance = (availableCents: number, reservedCents = 0, spentCents = 0): Balance => ({ availableCents, reservedCents, spentCents });
const cents = fc.integer({ min: 0, max: 1_000_000_000_000 });

describe('decideReserve', () => {
  it('reserves when the available balance covers the total, exactly at the limit too', () => {
    expect(decideReserve({ balance: balance(1000), existing: null, amountCents: 400 })).toEqual({
      kind: 'reserved',
      balance: balance(600, 400),
    });
    expect(decideReserve({ balance: balance(400, 10, 5), existing: null, amountCents: 400 })).toEqual({
      kind: 'reserved',
      balance: balance(0, 410, 5),
    });
  });

  it('fails with FAILED_PAYMENT_NO_FUNDS one cent short, leaving the balance alone', () => {
    expect(decideReserve({ balance: balance(399, 1000), existing: null, amountCents: 400 })).toEqual({
      kind: 'failed',
      reason: 'FAILED_PAYMENT_NO_FUNDS',
    });
  });

  it('fails with FAILED_PAYMENT_UNKNOWN_USER when there is no user', () => {
    expect(decideReserve({ balance: null, existing: null, amountCents: 1 })).toEqual({ kind: 'failed', reason: 'FAILED_PAYMENT_UNKNOWN_USER' });
  });

  it('does nothing when the order already has a reservation in any state', () => {
    for (const status of ['RESERVED', 'CAPTURED', 'REFUNDED', 'FAILED'] as const) {
      expect(decideReserve({ balance: balance(1000), existing: { status, amountCents: 1 }, amountCents: 1 })).toEqual({ kind: 'already-decided' });
    }
  });

  it('rejects amounts that are not non-negative safe integers', () => {
    for (const amountCents of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => decideReserve({ balance: balance(1000), existing: null, amountCents })).toThrow(RangeError);
    }
  });
});

describe('decideCapture and decideRefund', () => {
  it('capture moves the amount from reserved to spent', () => {
    expect(decideCapture(balance(10, 500, 7), { status: 'RESERVED', amountCents: 300 })).toEqual({
      kind: 'settled',
      status: 'CAPTURED',
      balance: balance(10, 200, 307),
    });
  });

  it('refund moves the amount from reserved back to available', () => {
    expect(decideRefund(balance(10, 500, 7), { status: 'RESERVED', amountCents: 300 })).toEqual({
      kind: 'settled',
      status: 'REFUNDED',
      balance: balance(310, 200, 7),
    });
  });

  it('skips a reservation that is not RESERVED (second capture or refund, or a failed payment)', () => {
    for (const status of ['CAPTURED', 'REFUNDED', 'FAILED'] as const) {
      expect(decideCapture(balance(0, 300), { status, amountCents: 300 })).toEqual({ kind: 'skip', status });
      expect(decideRefund(balance(0, 300), { status, amountCents: 300 })).toEqual({ kind: 'skip', status });
    }
  });

  it('refuses to settle more than is reserved rather than invent money', () => {
    expect(() => decideCapture(balance(0, 10), { status: 'RESERVED', amountCents: 11 })).toThrow(RangeError);
    expect(() => decideRefund(balance(0, 10), { status: 'RESERVED', amountCents: 11 })).toThrow(RangeError);
  });
});

describe('invariants over any sequence of events (property)', () => {
  type Step = { op: 'place'; order: number; amount: number } | { op: 'capture' | 'refund'; order: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('place' as const), order: fc.integer({ min: 0, max: 7 }), amount: fc.integer({ min: 0, max: 5_000 }) }),
    fc.record({ op: fc.constantFrom('capture' as const, 'refund' as const), order: fc.integer({ min: 0, max: 7 }) }),
  );

  it('conserves money, keeps every bucket non-negative and settles each reservation at most once', () => {
    fc.assert(
      fc.property(cents.map((c) => c % 20_000), fc.array(step, { maxLength: 60 }), (initial, steps) => {
        let current = balance(initial);
        const reservations = new Map<number, Reservation>();
        const settledTimes = new Map<number, number>();
        for (const s of steps) {
          if (s.op === 'place') {
            const decision = decideReserve({ balance: current, existing: reservations.get(s.order) ?? null, amountCents: s.amount });
            if (decision.kind === 'reserved') {
              current = decision.balance;
              reservations.set(s.order, { status: 'RESERVED', amountCents: s.amount });
            } else if (decision.kind === 'failed') {
              reservations.set(s.order, { status: 'FAILED', amountCents: s.amount });
            }
          } else {
            const reservation = reservations.get(s.order);
            if (!reservation) continue;
            const decision = s.op === 'capture' ? decideCapture(current, reservation) : decideRefund(current, reservation);
            if (decision.kind === 'settled') {
              current = decision.balance;
              reservations.set(s.order, { ...reservation, status: decision.status });
              settledTimes.set(s.order, (settledTimes.get(s.order) ?? 0) + 1);
            }
          }
          expect(totalCents(current)).toBe(initial);
          expect(current.availableCents).toBeGreaterThanOrEqual(0);
          expect(current.reservedCents).toBeGreaterThanOrEqual(0);
          expect(current.spentCents).toBeGreaterThanOrEqual(0);
          const stillReserved = [...reservations.values()].filter((r) => r.status === 'RESERVED').reduce((sum, r) => sum + r.amountCents, 0);
          expect(current.reservedCents).toBe(stillReserved);
        }
        for (const times of settledTimes.values()) expect(times).toBe(1);
      }),
    );
  });

  it('a reservation decision never depends on anything but available balance and amount', () => {
    fc.assert(
      fc.property(cents, cents, cents, cents, (available, reserved, spent, amount) => {
        const decision = decideReserve({ balance: balance(available, reserved, spent), existing: null, amountCents: amount });
        expect(decision.kind).toBe(available >= amount ? 'reserved' : 'failed');
      }),
    );
  });
});
