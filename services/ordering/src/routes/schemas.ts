import { Cents, Id, Quantity, ORDER_STATUSES, FailureReason } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';
import { MAX_WAIT_MS } from '../order-watch.ts';

/** The internal HTTP API's shapes; the gateway maps its public API onto these. */

const Status = Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status)));

export const OrderLine = Type.Object({ productId: Id, quantity: Quantity, unitPriceCents: Cents }, { additionalProperties: false });

/** A line as asked for: ordering prices it from its copy of the catalog (a price from the caller is refused). */
export const RequestedLine = Type.Object({ productId: Id, quantity: Quantity }, { additionalProperties: false });

export const NewOrderBody = Type.Object(
  { userId: Id, items: Type.Array(RequestedLine, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

export const OrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  // W3C trace context from the gateway; a malformed one starts a new trace rather than failing the order.
  traceparent: Type.Optional(Type.String({ maxLength: 256 })),
});

export const OrderAccepted = Type.Object({ orderId: Id, status: Status });

export const OrderParams = Type.Object({ id: Id });

/** `waitMs`: answer once the order is final, or after this long with what it is then (long-poll). */
export const OrderReadQuery = Type.Object(
  { waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_MS, default: 0 })) },
  { additionalProperties: false },
);

const OrderFields = {
  id: Id,
  userId: Id,
  totalCents: Cents,
  status: Status,
  failureReason: Type.Union([FailureReason, Type.Null()]),
  createdAt: Type.String(),
};

export const OrderView = Type.Object({
  ...OrderFields,
  items: Type.Array(OrderLine),
  history: Type.Array(Type.Object({ status: Status, at: Type.String() })),
  /** Ordering's copy of the user's name (from accounts' events); null while it has none. */
  customerName: Type.Union([Type.String(), Type.Null()]),
  /** The delivery flying the order's parcel (from delivery's DeliveryScheduled); null until scheduled or for all-digital orders. */
  deliveryId: Type.Union([Id, Type.Null()]),
});

export const OrderSummary = Type.Object({ ...OrderFields, updatedAt: Type.String() });

export const OrdersQuery = Type.Object(
  { userId: Id, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) },
  { additionalProperties: false },
);

export const OrderList = Type.Object({ items: Type.Array(OrderSummary) });

export { ErrorBody };
