import {
  OrderAwaitingShipment,
  OrderBlocked,
  OrderCompleted,
  OrderFailed,
  OrderRefundRequested,
  OrderShipped,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
  ShipmentFailed,
  TERMINAL_STATUSES,
  type FAILURE_REASONS,
  type OrderStatus,
} from '@tributary/contracts';
import type { EventData } from 'tributary';

/**
 * The order saga of the book's chapter 2, as one pure function:
 * (order, event) → the next status and the event to emit, or null when the
 * event does not fit the order's current status (a duplicate, a late or an
 * out-of-order delivery). Null is not an error: in a choreography every
 * service sees redeliveries, and the state alone decides what still matters.
 */

export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface OrderItem {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderSnapshot {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderItem[];
  totalCents: number;
  failureReason: FailureReason | null;
}

/** The events the saga listens to. */
export const orderInputs = { PaymentReserved, PaymentFailed, PaymentCaptured, PaymentRefunded, OrderShipped, ShipmentFailed } as const;
type Inputs = typeof orderInputs;
export type OrderEvent = { [K in keyof Inputs]: { type: K; data: EventData<Inputs[K]> } }[keyof Inputs];

/** The events the saga emits on a transition (OrderPlaced is emitted on creation, see place-order.ts). */
export const orderOutputs = { OrderAwaitingShipment, OrderBlocked, OrderCompleted, OrderRefundRequested, OrderFailed } as const;
type Outputs = typeof orderOutputs;
export type OrderOutput = { [K in keyof Outputs]: { type: K; data: EventData<Outputs[K]> } }[keyof Outputs];

/**
 * The status an order is in once the event a transition emits is committed:
 * each output is emitted by exactly one edge (the property test checks it).
 * Ordering's long-poll hears it with the commit and need not read it back.
 */
export const STATUS_AFTER: Readonly<Record<OrderOutput['type'], OrderStatus>> = {
  OrderAwaitingShipment: 'AWAITING_SHIPMENT',
  OrderBlocked: 'BLOCKED_NO_FUNDS',
  OrderCompleted: 'COMPLETED_SUCCESSFULLY',
  OrderRefundRequested: 'AWAITING_REFUND',
  OrderFailed: 'COMPLETED_WITH_FAILURE',
};

export interface Transition {
  status: OrderStatus;
  failureReason: FailureReason | null;
  output: OrderOutput;
}

/** Every edge of the machine; the tests check that no transition leaves this set. */
export const ALLOWED_TRANSITIONS: ReadonlyArray<readonly [OrderStatus, OrderStatus]> = [
  ['AWAITING_PAYMENT', 'AWAITING_SHIPMENT'],
  ['AWAITING_PAYMENT', 'BLOCKED_NO_FUNDS'],
  ['AWAITING_SHIPMENT', 'COMPLETED_SUCCESSFULLY'],
  ['AWAITING_SHIPMENT', 'AWAITING_REFUND'],
  ['AWAITING_REFUND', 'COMPLETED_WITH_FAILURE'],
];

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What the machine needs to know besides the order and the event. */
export interface TransitionFacts {
  /** Ordering's copy of the customer's address when the event is handled; null while unknown. */
  customerAddress: string | null;
}

const NO_FACTS: TransitionFacts = { customerAddress: null };

export function transition(order: OrderSnapshot, event: OrderEvent, facts: TransitionFacts = NO_FACTS): Transition | null {
  const ids = { orderId: order.id, userId: order.userId };
  switch (order.status) {
    case 'AWAITING_PAYMENT':
      if (event.type === 'PaymentReserved') {
        const items = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
        return {
          status: 'AWAITING_SHIPMENT',
          failureReason: null,
          // The address as known when the order is paid: a later change does not redirect a parcel already on its way.
          output: { type: 'OrderAwaitingShipment', data: { ...ids, country: event.data.country, items, address: facts.customerAddress } },
        };
      }
      if (event.type === 'PaymentFailed') {
        return {
          status: 'BLOCKED_NO_FUNDS',
          failureReason: event.data.reason,
          output: { type: 'OrderBlocked', data: { ...ids, reason: event.data.reason } },
        };
      }
      return null;
    case 'AWAITING_SHIPMENT':
      if (event.type === 'OrderShipped') {
        return {
          status: 'COMPLETED_SUCCESSFULLY',
          failureReason: null,
          output: { type: 'OrderCompleted', data: { ...ids, totalCents: order.totalCents } },
        };
      }
      if (event.type === 'ShipmentFailed') {
        return {
          status: 'AWAITING_REFUND',
          failureReason: event.data.reason,
          output: { type: 'OrderRefundRequested', data: { ...ids, reason: event.data.reason } },
        };
      }
      return null;
    case 'AWAITING_REFUND':
      // The stored shipment failure is what the order failed of; a missing one
      // would mean a row written by something other than this machine.
      if (event.type === 'PaymentRefunded' && order.failureReason !== null) {
        return {
          status: 'COMPLETED_WITH_FAILURE',
          failureReason: order.failureReason,
          output: { type: 'OrderFailed', data: { ...ids, reason: order.failureReason } },
        };
      }
      return null;
    case 'COMPLETED_SUCCESSFULLY':
    case 'BLOCKED_NO_FUNDS':
    case 'COMPLETED_WITH_FAILURE':
      return null;
  }
}
