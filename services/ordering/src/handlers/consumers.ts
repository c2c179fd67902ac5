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
import { streamKeys, type Envelope } from 'tributary';
import { sqlBatchHandlers, type SqlBatchItem, type SqlExecutor } from 'tributary/sql';
import type { ServiceConsumers } from 'tributary/service';
import { checkoutRequestedHandler } from './checkout-requested.ts';
import { GROUP, type OrderingContext } from './context.ts';
import { userProfileChangedHandler, userRegisteredHandler } from './customers.ts';
import { deliveryScheduledHandler } from './delivery-scheduled.ts';
import { productChangedHandler, productCreatedHandler } from './products.ts';
import { applyOrderEvents } from './saga-events.ts';

/**
 * Registers ordering's handlers, one consumer per stream it listens to, all in
 * group 'ordering'. The SQL ones are batched: a read of a stream is one
 * transaction (the kit's sqlBatchHandlers).
 */
export function registerOrderingHandlers(ctx: OrderingContext, consumers: ServiceConsumers): void {
  const make = (service: string) => consumers.consumer(streamKeys.events(service));
  // Every event ordering emits names its order: those orders changed, waiting readers look again.
  const afterCommit = (emitted: readonly Envelope[]) => {
    for (const envelope of emitted) {
      const orderId = (envelope.data as { orderId?: unknown } | null)?.orderId;
      if (typeof orderId === 'string') ctx.watch.changed(orderId);
    }
  };
  const batched = (service: string) => sqlBatchHandlers(make(service), { outbox: ctx.outbox, group: GROUP, afterCommit });

  // One function for every saga event: consecutive ones of any of these types are one set-based run.
  const sagaEvents = (tx: SqlExecutor, items: SqlBatchItem[]) => applyOrderEvents(ctx, tx, items);

  batched('accounts')
    .onMany(PaymentReserved, sagaEvents)
    .onMany(PaymentFailed, sagaEvents)
    .onMany(PaymentRefunded, sagaEvents)
    // The final deduction of a reservation changes no order status; registered
    // so the group acks it knowingly rather than as an unknown type.
    .on(PaymentCaptured, async () => undefined)
    .on(UserRegistered, userRegisteredHandler())
    .on(UserProfileChanged, userProfileChangedHandler());

  batched('fulfillment')
    .onMany(OrderShipped, sagaEvents)
    .onMany(ShipmentFailed, sagaEvents);

  // A new group reads from the stream's start: products created before ordering subscribed are copied too.
  batched('catalog').on(ProductCreated, productCreatedHandler()).on(ProductChanged, productChangedHandler());

  // Placing an order owns its transaction (POST /orders shares it): not batched.
  make('basket').on(CheckoutRequested, checkoutRequestedHandler(ctx));

  batched('delivery').onMany(DeliveryScheduled, deliveryScheduledHandler(ctx));
}
