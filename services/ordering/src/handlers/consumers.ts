import {
  CheckoutRequested,
  DeliveryScheduled,
  OrderShipped,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
  ProductChanged,
  ProductCreated,
  ShipmentFailed,
  UserProfileChanged,
  UserRegistered,
} from '@tributary/contracts';
import { streamKeys } from 'tributary';
import type { ServiceConsumers } from 'tributary/service';
import { checkoutRequestedHandler } from './checkout-requested.ts';
import { GROUP, type OrderingContext } from './context.ts';
import { userProfileChangedHandler, userRegisteredHandler } from './customers.ts';
import { deliveryScheduledHandler } from './delivery-scheduled.ts';
import { productChangedHandler, productCreatedHandler } from './products.ts';
import { applyOrderEvent } from './saga-events.ts';

/** Registers ordering's handlers, one consumer per stream it listens to, all in group 'ordering'. */
export function registerOrderingHandlers(ctx: OrderingContext, consumers: ServiceConsumers): void {
  const make = (service: string) => consumers.consumer(streamKeys.events(service));

  make('accounts')
    .on(PaymentReserved, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentReserved', data: event.data })))
    .on(PaymentFailed, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentFailed', data: event.data })))
    .on(PaymentRefunded, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentRefunded', data: event.data })))
    // The final deduction of a reservation changes no order status; registered
    // so the group acks it knowingly rather than as an unknown type.
    .on(PaymentCaptured, async () => undefined)
    .on(UserRegistered, userRegisteredHandler(ctx))
    .on(UserProfileChanged, userProfileChangedHandler(ctx));

  make('fulfillment')
    .on(OrderShipped, async (event) => void (await applyOrderEvent(ctx, event, { type: 'OrderShipped', data: event.data })))
    .on(ShipmentFailed, async (event) => void (await applyOrderEvent(ctx, event, { type: 'ShipmentFailed', data: event.data })));

  // A new group reads from the stream's start: products created before ordering subscribed are copied too.
  make('catalog').on(ProductCreated, productCreatedHandler(ctx)).on(ProductChanged, productChangedHandler(ctx));

  make('basket').on(CheckoutRequested, checkoutRequestedHandler(ctx));

  make('delivery').on(DeliveryScheduled, deliveryScheduledHandler(ctx));
}
