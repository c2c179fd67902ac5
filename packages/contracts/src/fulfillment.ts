import { defineEvent, Type } from 'tributary';
import { Country, Id, Quantity } from './common.ts';

/**
 * SHIPPED. `digitalProductIds` lists the order's digital products (e-books):
 * they were not shipped, mailing sends them by mail. Optional so v1 entries
 * written before the field existed stay valid; absent means none.
 */
export const OrderShipped = defineEvent({
  source: 'fulfillment',
  type: 'OrderShipped',
  version: 1,
  schema: Type.Object({
    orderId: Id,
    userId: Type.Optional(Id),
    digitalProductIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    /** The items that physically ship (package builds a parcel of them); absent on entries written before it. */
    physicalItems: Type.Optional(Type.Array(Type.Object({ productId: Id, quantity: Quantity }), { maxItems: 100 })),
    /** Where the parcel goes, from OrderAwaitingShipment. */
    shipTo: Type.Optional(Type.Object({ country: Country, address: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]) })),
  }),
});

/** SHIPMENT_FAILED_BANNED_PRODUCT or SHIPMENT_FAILED_OUT_OF_STOCK; stock untouched. */
export const ShipmentFailed = defineEvent({
  source: 'fulfillment',
  type: 'ShipmentFailed',
  version: 1,
  schema: Type.Object({
    orderId: Id,
    reason: Type.Union([Type.Literal('SHIPMENT_FAILED_BANNED_PRODUCT'), Type.Literal('SHIPMENT_FAILED_OUT_OF_STOCK')]),
    productIds: Type.Array(Id),
  }),
});

export const fulfillmentEvents = [OrderShipped, ShipmentFailed] as const;
