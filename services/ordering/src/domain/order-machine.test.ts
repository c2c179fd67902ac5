import fc from 'fast-check';
import { ORDER_STATUSES, type OrderStatus } from '@tributary/contracts';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  isTerminal,
  orderOutputs,
  STATUS_AFTER,
  transition,
  type OrderEvent,
  type OrderSnapshot,
} from './order-machine.ts';

const order = (status: OrderStatus, failureReason: OrderSnapshot['failureReason'] = null): OrderSnapshot => ({
  id: 'order-1',
  userId: 'user-1',
  status,
  items: [
    { productId: 'p-1', quantity: 2, unitPriceCents: 150 },
    { productId: 'p-2', quantity: 1, unitPriceCents: 700 },
  ],
  totalCents: 1000,
  failureReason,
});

const ids = { orderId: 'order-1', userId: 'user-1' };
const reserved: OrderEvent = { type: 'PaymentReserved', data: { ...ids, amountCents: 1000, country: 'GB' } };
const noFunds: OrderEvent = { type: 'PaymentFailed', data: { ...ids, reason: 'FAILED_PAYMENT_NO_FUNDS' } };
const captured: OrderEvent = { type: 'PaymentCaptured', data: { ...ids, amountCents: 1000 } };
const refunded: OrderEvent = { type: 'PaymentRefunded', data: { ...ids, amountCents: 1000 } };
const shipped: OrderEvent = { type: 'OrderShipped', data: { orderId: 'order-1' } };
const banned: OrderEvent = {
  type: 'ShipmentFailed',
  data: { orderId: 'order-1', reason: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: ['p-2'] },
};
const allEvents = [reserved, noFunds, captured, refunded, shipped, banned];

describe('order machine: the transition table', () => {
  it('AWAITING_PAYMENT + PaymentReserved → AWAITING_SHIPMENT, OrderAwaitingShipment with the country and items without prices', () => {
    expect(transition(order('AWAITING_PAYMENT'), reserved)).toEqual({
      status: 'AWAITING_SHIPMENT',
      failureReason: null,
      output: {
        type: 'OrderAwaitingShipment',
        data: { ...ids, country: 'GB', items: [{ productId: 'p-1', quantity: 2 }, { productId: 'p-2', quantity: 1 }], address: null },
      },
    });
  });

  it('OrderAwaitingShipment carries the customer address the caller knows at payment time', () => {
    const step = transition(order('AWAITING_PAYMENT'), reserved, { customerAddress: '1 Lovelace Row, London' });
    expect(step?.output).toMatchObject({ type: 'OrderAwaitingShipment', data: { address: '1 Lovelace Row, London' } });
    expect(orderOutputs.OrderAwaitingShipment.validate(step?.output.data)).toBeNull();
  });

  it('AWAITING_PAYMENT + PaymentFailed → BLOCKED_NO_FUNDS, OrderBlocked with the reason', () => {
    expect(transition(order('AWAITING_PAYMENT'), noFunds)).toEqual({
      status: 'BLOCKED_NO_FUNDS',
      failureReason: 'FAILED_PAYMENT_NO_FUNDS',
      output: { type: 'OrderBlocked', data: { ...ids, reason: 'FAILED_PAYMENT_NO_FUNDS' } },
    });
  });

  it('AWAITING_SHIPMENT + OrderShipped → COMPLETED_SUCCESSFULLY, OrderCompleted with the total', () => {
    expect(transition(order('AWAITING_SHIPMENT'), shipped)).toEqual({
      status: 'COMPLETED_SUCCESSFULLY',
      failureReason: null,
      output: { type: 'OrderCompleted', data: { ...ids, totalCents: 1000 } },
    });
  });

  it('AWAITING_SHIPMENT + ShipmentFailed → AWAITING_REFUND, OrderRefundRequested with the reason', () => {
    expect(transition(order('AWAITING_SHIPMENT'), banned)).toEqual({
      status: 'AWAITING_REFUND',
      failureReason: 'SHIPMENT_FAILED_BANNED_PRODUCT',
      output: { type: 'OrderRefundRequested', data: { ...ids, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' } },
    });
  });

  it('AWAITING_REFUND + PaymentRefunded → COMPLETED_WITH_FAILURE, OrderFailed with the stored shipment reason', () => {
    expect(transition(order('AWAITING_REFUND', 'SHIPMENT_FAILED_OUT_OF_STOCK'), refunded)).toEqual({
      status: 'COMPLETED_WITH_FAILURE',
      failureReason: 'SHIPMENT_FAILED_OUT_OF_STOCK',
      output: { type: 'OrderFailed', data: { ...ids, reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' } },
    });
  });

  it('PaymentCaptured never changes anything', () => {
    for (const status of ORDER_STATUSES) expect(transition(order(status, 'SHIPMENT_FAILED_OUT_OF_STOCK'), captured)).toBeNull();
  });

  it('every other (status, event) pair is ignored, and terminal statuses accept nothing', () => {
    const fits = new Set(['AWAITING_PAYMENT:PaymentReserved', 'AWAITING_PAYMENT:PaymentFailed', 'AWAITING_SHIPMENT:OrderShipped',
      'AWAITING_SHIPMENT:ShipmentFailed', 'AWAITING_REFUND:PaymentRefunded']);
    for (const status of ORDER_STATUSES) {
      for (const event of allEvents) {
        const result = transition(order(status, 'SHIPMENT_FAILED_BANNED_PRODUCT'), event);
        expect(result === null, `${status} + ${event.type}`).toBe(!fits.has(`${status}:${event.type}`));
      }
    }
  });
});

describe('order machine: properties over random event sequences', () => {
  const arbitraryEvent: fc.Arbitrary<OrderEvent> = fc.oneof(
    fc.constantFrom('GB', 'US', 'FR').map((country): OrderEvent => ({ type: 'PaymentReserved', data: { ...ids, amountCents: 1000, country } })),
    fc.constantFrom('FAILED_PAYMENT_NO_FUNDS', 'FAILED_PAYMENT_UNKNOWN_USER' as const)
      .map((reason): OrderEvent => ({ type: 'PaymentFailed', data: { ...ids, reason } })),
    fc.constant(captured),
    fc.constant(refunded),
    fc.constant(shipped),
    fc.constantFrom('SHIPMENT_FAILED_BANNED_PRODUCT', 'SHIPMENT_FAILED_OUT_OF_STOCK' as const)
      .map((reason): OrderEvent => ({ type: 'ShipmentFailed', data: { orderId: 'order-1', reason, productIds: [] } })),
  );
  const allowed = new Set(ALLOWED_TRANSITIONS.map(([from, to]) => `${from}→${to}`));
  const paths: OrderStatus[][] = [
    ['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'COMPLETED_SUCCESSFULLY'],
    ['AWAITING_PAYMENT', 'BLOCKED_NO_FUNDS'],
    ['AWAITING_PAYMENT', 'AWAITING_SHIPMENT', 'AWAITING_REFUND', 'COMPLETED_WITH_FAILURE'],
  ];

  it('never leaves a terminal status, never skips a status, emits only valid events, each announcing its status', () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 40 }), (events) => {
        let state = order('AWAITING_PAYMENT');
        const visited: OrderStatus[] = [state.status];
        for (const event of events) {
          const step = transition(state, event);
          if (isTerminal(state.status)) expect(step).toBeNull();
          if (!step) continue;
          expect(allowed.has(`${state.status}→${step.status}`)).toBe(true);
          expect(orderOutputs[step.output.type].validate(step.output.data)).toBeNull();
          expect(STATUS_AFTER[step.output.type]).toBe(step.status);
          state = { ...state, status: step.status, failureReason: step.failureReason };
          visited.push(state.status);
        }
        // The visited statuses are a prefix of one of the book's three paths.
        expect(paths.some((path) => visited.every((status, index) => path[index] === status))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('replaying any event sequence twice in a row (duplicates) reaches the same status as once', () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 30 }), (events) => {
        const run = (sequence: OrderEvent[]) =>
          sequence.reduce((state, event) => {
            const step = transition(state, event);
            return step ? { ...state, status: step.status, failureReason: step.failureReason } : state;
          }, order('AWAITING_PAYMENT'));
        const once = run(events);
        const doubled = run(events.flatMap((event) => [event, event]));
        expect(doubled.status).toBe(once.status);
        expect(doubled.failureReason).toBe(once.failureReason);
      }),
      { numRuns: 1_000 },
    );
  });
});
