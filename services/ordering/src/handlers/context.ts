import type { Envelope, Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import type { Logger } from 'tributary/service';
import type { OrderWatch } from '../order-watch.ts';
import { orderOutputs, type OrderOutput } from '../domain/order-machine.ts';

/** What the handlers share: the database, the outbox and the publisher that builds envelopes. */
export interface OrderingContext {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
  logger: Logger;
  /** Requests waiting for an order to change (GET /orders/:id?waitMs=); handlers ring it after commit. */
  watch: OrderWatch;
}

/** The consumer group of every ordering consumer: the service name. */
export const GROUP = 'ordering';

/** Builds (and validates) the envelope of a transition's output; its id is derived from the cause. */
export function outputEnvelope(publisher: Publisher, output: OrderOutput, cause: Envelope): Envelope {
  switch (output.type) {
    case 'OrderAwaitingShipment':
      return publisher.envelope(orderOutputs.OrderAwaitingShipment, output.data, { causedBy: cause });
    case 'OrderBlocked':
      return publisher.envelope(orderOutputs.OrderBlocked, output.data, { causedBy: cause });
    case 'OrderCompleted':
      return publisher.envelope(orderOutputs.OrderCompleted, output.data, { causedBy: cause });
    case 'OrderRefundRequested':
      return publisher.envelope(orderOutputs.OrderRefundRequested, output.data, { causedBy: cause });
    case 'OrderFailed':
      return publisher.envelope(orderOutputs.OrderFailed, output.data, { causedBy: cause });
  }
}
