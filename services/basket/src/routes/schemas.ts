import { Cents, Id } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';

/** The basket's internal HTTP API (the gateway proxies /api/baskets/* here). */

export const BasketParams = Type.Object({ userId: Id }, { additionalProperties: false });
export const ItemParams = Type.Object({ userId: Id, productId: Id }, { additionalProperties: false });

export const SetItemBody = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: 10_000, description: '0 removes the product' }) },
  { additionalProperties: false },
);

export const BasketReply = Type.Object({
  userId: Id,
  items: Type.Array(Type.Object({
    productId: Id,
    name: Type.String(),
    quantity: Type.Integer({ minimum: 1 }),
    unitPriceCents: Cents,
    lineTotalCents: Type.Integer({ minimum: 0 }),
  })),
  totalCents: Type.Integer({ minimum: 0 }),
  checkout: Type.Union([Type.Object({ orderId: Id }), Type.Null()]),
});

export const CheckoutReply = Type.Object({ orderId: Id });

export { ErrorBody };
