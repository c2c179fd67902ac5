import { defineEvent, Type } from 'tributary';
import { Cents, Country, Id, Quantity } from './common.ts';

export const ORDER_STATUSES = [
  'AWAITING_PAYMENT',
  'AWAITING_SHIPMENT',
  'COMPLETED_SUCCESSFULLY',
  'BLOCKED_NO_FUNDS',
  'AWAITING_REFUND',
  'COMPLETED_WITH_FAILURE',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['COMPLETED_SUCCESSFULLY', 'BLOCKED_NO_FUNDS', 'COMPLETED_WITH_FAILURE'];

export const FAILURE_REASONS = [
  'FAILED_PAYMENT_NO_FUNDS',
  'FAILED_PAYMENT_UNKNOWN_USER',
  'SHIPMENT_FAILED_BANNED_PRODUCT',
  'SHIPMENT_FAILED_OUT_OF_STOCK',
  // An operator ended an order stuck awaiting shipment (see ordering's stuck.ts): refunded like a failed shipment.
  'FAILED_STUCK_RESOLVED_BY_OPERATOR',
] as const;
export const FailureReason = Type.Union(FAILURE_REASONS.map((reason) => Type.Literal(reason)));

const Item = Type.Object({ productId: Id, quantity: Quantity, unitPriceCents: Cents });

/** AWAITING_PAYMENT: accounts reserves the total. */
export const OrderPlaced = defineEvent({
  source: 'ordering',
  type: 'OrderPlaced',
  version: 1,
  schema: Type.Object({ orderId: Id, userId: Id, items: Type.Array(Item, { minItems: 1, maxItems: 100 }), totalCents: Cents }),
});

/** AWAITING_SHIPMENT: fulfillment ships to `country`. */
export const OrderAwaitingShipment = defineEvent({
  source: 'ordering',
  type: 'OrderAwaitingShipment',
  version: 1,
  schema: Type.Object({
    orderId: Id,
    userId: Id,
    country: Country,
    items: Type.Array(Type.Object({ productId: Id, quantity: Quantity }), { minItems: 1, maxItems: 100 }),
    /** The customer's address from ordering's copy when the order was paid; optional for v1 entries written before it. */
    address: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  }),
});

/** COMPLETED_SUCCESSFULLY: accounts deducts the reservation. */
export const OrderCompleted = defineEvent({
  source: 'ordering',
  type: 'OrderCompleted',
  version: 1,
  schema: Type.Object({ orderId: Id, userId: Id, totalCents: Cents }),
});

/** BLOCKED_NO_FUNDS (terminal). */
export const OrderBlocked = defineEvent({
  source: 'ordering',
  type: 'OrderBlocked',
  version: 1,
  schema: Type.Object({ orderId: Id, userId: Id, reason: FailureReason }),
});

/** AWAITING_REFUND: accounts returns the reservation. */
export const OrderRefundRequested = defineEvent({
  source: 'ordering',
  type: 'OrderRefundRequested',
  version: 1,
  schema: Type.Object({ orderId: Id, userId: Id, reason: FailureReason }),
});

/** COMPLETED_WITH_FAILURE (terminal). */
export const OrderFailed = defineEvent({
  source: 'ordering',
  type: 'OrderFailed',
  version: 1,
  schema: Type.Object({ orderId: Id, userId: Id, reason: FailureReason }),
});

export const orderingEvents = [OrderPlaced, OrderAwaitingShipment, OrderCompleted, OrderBlocked, OrderRefundRequested, OrderFailed] as const;
