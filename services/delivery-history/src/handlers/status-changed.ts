import { DeliveryRecorded, DeliveryStatusChanged } from '@tributary/contracts';
import { deriveEventId, type Consumer, type Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import { sqlBatchHandlers, type Emitted, type SqlBatchItem, type SqlDatabase, type SqlExecutor } from 'tributary/sql';
import { completeRecord, normalizeInstant, orderSteps } from '../domain/record.ts';
import { hasRecord, insertRecord, refreshSteps } from '../store/deliveries.ts';
import { insertStep, lockDelivery, stepsOf } from '../store/steps.ts';

export interface StatusHandlerDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
  group: string;
  /** Told after each new record commits (the lake writer counts them). */
  onRecorded?: () => void;
}

/**
 * Every step of a delivery, in the transaction of its batch (the kit's
 * batched SQL handlers): the "handled" marker, the step row, and, when this
 * step finishes the record, the record and its DeliveryRecorded event
 * (outbox). The event's id is derived from the delivery, so however the
 * record comes about, it is announced once.
 *
 * The handled marker outlives the archiver on purpose: a step event replayed
 * after its record left the lookup store must not make a second record (and
 * a second row in the lake).
 */
export function registerStatusHandler(consumer: Consumer, deps: StatusHandlerDeps): Consumer {
  const { outbox, publisher, group } = deps;

  async function onStatusChanged(tx: SqlExecutor, { event }: SqlBatchItem<typeof DeliveryStatusChanged>): Promise<Emitted> {
    const { deliveryId, packageId, orderId, status } = event.data;
    const ids = { deliveryId, packageId, orderId };
    await lockDelivery(tx, deliveryId);
    const step = { status, at: normalizeInstant(event.data.at), reason: event.data.reason ?? null };
    if (!(await insertStep(tx, { ...ids, ...step }))) return;
    const steps = await stepsOf(tx, deliveryId);
    if (await hasRecord(tx, deliveryId)) {
      await refreshSteps(tx, deliveryId, orderSteps(steps).map(({ status: s, at }) => ({ status: s, at })));
      return;
    }
    const record = completeRecord(ids, steps);
    if (!record || !(await insertRecord(tx, record))) return;
    return publisher.envelope(DeliveryRecorded, { deliveryId, status: record.status }, { causedBy: event, id: deriveEventId(deliveryId, DeliveryRecorded.type) });
  }

  // Every event emitted is a new record: the lake writer is told once they commit.
  const handlers = sqlBatchHandlers(consumer, { outbox, group, afterCommit: (emitted) => emitted.forEach(() => deps.onRecorded?.()) });
  handlers.on(DeliveryStatusChanged, onStatusChanged);
  return consumer;
}
