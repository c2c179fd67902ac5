import {
  CheckoutRequested,
  DeliveryScheduled,
  FORMER_PAYMENTS_STREAM,
  OrderShipped,
  PAYMENTS_STREAM,
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
import { formerlyOn, streamKeys, type Envelope } from 'tributary';
import { sqlBatchHandlers, type SqlBatchItem, type SqlExecutor } from 'tributary/sql';
import type { ServiceConsumers } from 'tributary/service';
import { checkoutRequestedHandler } from './checkout-requested.ts';
import { GROUP, type OrderingContext } from './context.ts';
import { userProfileChangedHandler, userRegisteredHandler } from './customers.ts';
import { deliveryScheduledHandler } from './delivery-scheduled.ts';
import { productChangedHandler, productCreatedHandler } from './products.ts';
import { applyOrderEvents } from './saga-events.ts';
import { STATUS_AFTER } from '../domain/order-machine.ts';

/**
 * Registers ordering's handlers, one consumer per stream it listens to, all in
 * group 'ordering'. The SQL ones are batched: a read of a stream is one
 * transaction (the kit's sqlBatchHandlers).
 */
export function registerOrderingHandlers(ctx: OrderingContext, consumers: ServiceConsumers): void {
  const make = (service: string) => consumers.consumer(streamKeys.events(service));
  // Every event ordering emits names its order: those orders changed, and a
  // transition's event says to what (waiting readers need not read it back).
  const afterCommit = (emitted: readonly Envelope[]) => {
    for (const envelope of emitted) {
      const orderId = (envelope.data as { orderId?: unknown } | null)?.orderId;
      if (typeof orderId === 'string') ctx.watch.changed(orderId, STATUS_AFTER[envelope.type as keyof typeof STATUS_AFTER]);
    }
  };
  const batchedOn = (stream: string) => sqlBatchHandlers(consumers.consumer(stream), { outbox: ctx.outbox, group: GROUP, afterCommit });
  const batched = (service: string) => batchedOn(streamKeys.events(service));

  // One function for every saga event: consecutive ones of any of these types are one set-based run.
  const sagaEvents = (tx: SqlExecutor, items: SqlBatchItem[]) => applyOrderEvents(ctx, tx, items);

  // The final deduction of a reservation changes no order status; registered
  // so the group acks it knowingly rather than as an unknown type.
  const captured = async () => undefined;
  batchedOn(PAYMENTS_STREAM)
    .onMany(PaymentReserved, sagaEvents)
    .onMany(PaymentFailed, sagaEvents)
    .onMany(PaymentRefunded, sagaEvents)
    .on(PaymentCaptured, captured);

  // Payments were published here until they moved to PAYMENTS_STREAM: the ones
  // written before the upgrade are handled here, by the same functions (their
  // markers are per event id, so one seen on both streams is applied once).
  batched('accounts')
    .on(UserRegistered, userRegisteredHandler())
    .on(UserProfileChanged, userProfileChangedHandler())
    .onMany(formerlyOn(PaymentReserved, FORMER_PAYMENTS_STREAM), sagaEvents)
    .onMany(formerlyOn(PaymentFailed, FORMER_PAYMENTS_STREAM), sagaEvents)
    .onMany(formerlyOn(PaymentRefunded, FORMER_PAYMENTS_STREAM), sagaEvents)
    .on(formerlyOn(PaymentCaptured, FORMER_PAYMENTS_STREAM), captured);

  batched('fulfillment')
    .onMany(OrderShipped, sagaEvents)
    .onMany(ShipmentFailed, sagaEvents);

  // A new group reads from the stream's start: products created before ordering subscribed are copied too.
  batched('catalog').on(ProductCreated, productCreatedHandler()).on(ProductChanged, productChangedHandler());

  // Placing an order owns its transaction (POST /orders shares it): not batched.
  make('basket').on(CheckoutRequested, checkoutRequestedHandler(ctx));

  batched('delivery').onMany(DeliveryScheduled, deliveryScheduledHandler(ctx));
}
