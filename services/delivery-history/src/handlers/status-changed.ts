import { DeliveryRecorded, DeliveryStatusChanged } from '@tributary/contracts';
import { deriveEventId, type Consumer, type Envelope, type Publisher } from 'tributary';
import type { Outbox } from 'tributary/outbox';
import { sqlBatchHandlers, type SqlBatchItem, type SqlDatabase, type SqlExecutor } from 'tributary/sql';
import { completeRecord, normalizeInstant, orderSteps, type DeliveryIds, type DeliveryRecord, type Step } from '../domain/record.ts';
import { insertRecords, refreshStepsMany, withRecords } from '../store/deliveries.ts';
import { insertSteps, lockDeliveries, stepKey, stepsOfMany } from '../store/steps.ts';

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
 * batched SQL handlers): the "handled" markers, the step rows, and, when a
 * step finishes a record, the record and its DeliveryRecorded event
 * (outbox). The event's id is derived from the delivery, so however the
 * record comes about, it is announced once.
 *
 * Set-based: one statement takes the deliveries' locks, one stores every
 * step (the first report of a step wins), one reads the steps of the
 * deliveries that got a new one, one says which have a record; then one
 * statement refreshes those records' steps and one inserts the records that
 * are now complete. The result equals handling the steps one by one: a
 * record is complete once its CREATED and a terminal step are stored,
 * whichever came last.
 *
 * The handled marker outlives the archiver on purpose: a step event replayed
 * after its record left the lookup store must not make a second record (and
 * a second row in the lake).
 */
export function registerStatusHandler(consumer: Consumer, deps: StatusHandlerDeps): Consumer {
  const { outbox, publisher, group } = deps;

  async function onStatusChanged(tx: SqlExecutor, items: Array<SqlBatchItem<typeof DeliveryStatusChanged>>): Promise<Envelope[]> {
    const steps = items.map(({ event }) => {
      const { deliveryId, packageId, orderId, status } = event.data;
      return { deliveryId, packageId, orderId, status, at: normalizeInstant(event.data.at), reason: event.data.reason ?? null };
    });
    await lockDeliveries(tx, steps.map((step) => step.deliveryId));
    const fresh = await insertSteps(tx, steps);
    // Per delivery that got a new step: the last event that brought one (the cause of a record it completes).
    const latest = new Map<string, { ids: DeliveryIds; event: Envelope }>();
    steps.forEach((step, index) => {
      if (fresh.has(stepKey(step.deliveryId, step.status))) {
        latest.delete(step.deliveryId);
        latest.set(step.deliveryId, { ids: { deliveryId: step.deliveryId, packageId: step.packageId, orderId: step.orderId }, event: items[index]!.event });
      }
    });
    const deliveryIds = [...latest.keys()];
    const stored = await stepsOfMany(tx, deliveryIds);
    const recorded = await withRecords(tx, deliveryIds);

    const refreshed = new Map<string, Step[]>();
    const completed: Array<{ record: DeliveryRecord; event: Envelope }> = [];
    for (const [deliveryId, { ids, event }] of latest) {
      const known = stored.get(deliveryId) ?? [];
      if (recorded.has(deliveryId)) {
        refreshed.set(deliveryId, orderSteps(known).map(({ status, at }) => ({ status, at })));
        continue;
      }
      const record = completeRecord(ids, known);
      if (record) completed.push({ record, event });
    }
    await refreshStepsMany(tx, refreshed);
    const inserted = await insertRecords(tx, completed.map(({ record }) => record));
    return completed
      .filter(({ record }) => inserted.has(record.deliveryId))
      .map(({ record, event }) =>
        publisher.envelope(DeliveryRecorded, { deliveryId: record.deliveryId, status: record.status }, { causedBy: event, id: deriveEventId(record.deliveryId, DeliveryRecorded.type) }),
      );
  }

  // Every event emitted is a new record: the lake writer is told once they commit.
  const handlers = sqlBatchHandlers(consumer, { outbox, group, afterCommit: (emitted) => emitted.forEach(() => deps.onRecorded?.()) });
  handlers.onMany(DeliveryStatusChanged, onStatusChanged);
  return consumer;
}
