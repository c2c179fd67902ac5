import {
  OrderShipped,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  PaymentReserved,
  ShipmentFailed,
} from '@tributary/contracts';
import { createConsumer, streamKeys, type Consumer, type ConsumerOptions, type ConsumerReport, type RedisClient } from 'tributary';
import { GROUP, type OrderingContext } from './context.ts';
import { applyOrderEvent } from './saga-events.ts';

export interface ConsumerDeps {
  bus: RedisClient;
  /** Consumer name: stable per instance so a restart finishes its own pending entries. */
  instance: string;
  onReport: (stream: string) => (report: ConsumerReport) => void;
  /** Test overrides (e.g. short backoff). */
  options?: Partial<Pick<ConsumerOptions, 'claimIdleMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'maxAttempts' | 'blockMs'>>;
}

/** One consumer per stream the saga listens to, both in group 'ordering'. */
export function createOrderingConsumers(ctx: OrderingContext, deps: ConsumerDeps): Consumer[] {
  const make = (service: string) => {
    const stream = streamKeys.events(service);
    return createConsumer({
      redis: deps.bus,
      stream,
      group: GROUP,
      consumer: deps.instance,
      onReport: deps.onReport(stream),
      ...deps.options,
    });
  };

  const accounts = make('accounts')
    .on(PaymentReserved, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentReserved', data: event.data })))
    .on(PaymentFailed, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentFailed', data: event.data })))
    .on(PaymentRefunded, async (event) => void (await applyOrderEvent(ctx, event, { type: 'PaymentRefunded', data: event.data })))
    // The final deduction of a reservation changes no order status; registered
    // so the group acks it knowingly rather than as an unknown type.
    .on(PaymentCaptured, async () => undefined);

  const fulfillment = make('fulfillment')
    .on(OrderShipped, async (event) => void (await applyOrderEvent(ctx, event, { type: 'OrderShipped', data: event.data })))
    .on(ShipmentFailed, async (event) => void (await applyOrderEvent(ctx, event, { type: 'ShipmentFailed', data: event.data })));

  return [accounts, fulfillment];
}
