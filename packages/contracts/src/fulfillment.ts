import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';

/** SHIPPED. */
export const OrderShipped = defineEvent({
  source: 'fulfillment',
  type: 'OrderShipped',
  version: 1,
  schema: Type.Object({ orderId: Id }),
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
