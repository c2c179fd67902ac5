import type { Outbox } from '../outbox/outbox.ts';
import type { BatchContext, BatchOutcome, Consumer } from '../streams/consumer.ts';
import type { Envelope } from '../streams/envelope.ts';
import type { EventData, EventDefinition } from '../streams/events.ts';
import type { SqlExecutor } from './database.ts';
import { markHandledMany } from './handled.ts';
import { TributaryError } from '../errors.ts';

/** What a handler gives back: the events its effect causes (published through the outbox), or nothing. */
export type Emitted = void | undefined | Envelope | readonly Envelope[];

/** One event of a batch with where it came from. */
export interface SqlBatchItem<D extends EventDefinition = EventDefinition> {
  event: Envelope<EventData<D>>;
  entryId: string;
  /** 1 on first delivery, as in HandlerContext. */
  deliveryCount: number;
}

/**
 * An effect applied one event at a time, inside the transaction the whole
 * batch shares. Use it when set-based statements do not fit the domain
 * (locks, decisions that depend on the previous event).
 */
export type SqlEventHandler<D extends EventDefinition> = (tx: SqlExecutor, item: SqlBatchItem<D>) => Promise<Emitted>;

/**
 * A set-based effect: every consecutive event of this type in the batch, in
 * stream order, in one call (multi-row statements). It must give the same
 * result as applying them one by one, in that order.
 */
export type SqlEventsHandler<D extends EventDefinition> = (tx: SqlExecutor, items: Array<SqlBatchItem<D>>) => Promise<Emitted>;

export interface SqlBatchHandlers {
  /** Handles this type one event at a time inside the batch's transaction. */
  on<D extends EventDefinition>(definition: D, handler: SqlEventHandler<D>): SqlBatchHandlers;
  /**
   * Handles every consecutive event of this type with one call inside the
   * batch's transaction. The same function registered for several types
   * gets their consecutive events together, in stream order.
   */
  onMany<D extends EventDefinition>(definition: D, handler: SqlEventsHandler<D>): SqlBatchHandlers;
}

export interface SqlBatchOptions {
  outbox: Outbox;
  /** The consumer group: the key of the "handled" markers. */
  group: string;
  /** Told after each committed transaction, with the events it emitted (already handed to the outbox). */
  afterCommit?: (emitted: readonly Envelope[]) => void;
  /** Told when a batch's shared transaction failed and its events were retried one per transaction. */
  onFallback?: (size: number, error: Error) => void;
}

type Route =
  | { kind: 'each'; handle: SqlEventHandler<EventDefinition> }
  | { kind: 'many'; handle: SqlEventsHandler<EventDefinition> };

interface IndexedItem extends SqlBatchItem {
  index: number;
}

/**
 * Batched SQL handling on a consumer: each read of the stream is one
 * transaction. In it, one statement marks every event id handled (those
 * marked before are skipped: idempotency by event id), the handlers apply
 * the effects in stream order, one statement adds every outgoing event to
 * the outbox; one COMMIT, then the outbox publishes those rows at once and
 * the consumer acks the batch with one XACK, sent with the publication
 * rather than after its reply.
 *
 * Every type goes to one batch function, so the consumer hands a whole read
 * to one call. If the shared transaction fails, the batch is run again one
 * event per transaction: only the events that fail alone are reported as
 * failed (retried alone with backoff, then dead-lettered), so a poison event
 * never fails its neighbours.
 */
export function sqlBatchHandlers(consumer: Consumer, options: SqlBatchOptions): SqlBatchHandlers {
  const { outbox, group } = options;
  const routes = new Map<string, Route>();
  // One route per set-based function, so consecutive events of every type it is registered for form one run.
  const manyRoutes = new Map<SqlEventsHandler<EventDefinition>, Route>();
  const key = (type: string, version: number) => `${type}@${version}`;

  async function applyInOneTransaction(items: readonly IndexedItem[]): Promise<void> {
    const emitted: Envelope[] = [];
    const collect = (envelopes: readonly Envelope[]) => emitted.push(...envelopes);
    await outbox.transaction(async (tx, emit) => {
      emitted.length = 0;
      const keep = (envelopes: readonly Envelope[]) => {
        collect(envelopes);
        emit(envelopes);
      };
      const fresh = await markHandledMany(tx, group, items.map((item) => item.event.id));
      let position = 0;
      while (position < items.length) {
        const item = items[position]!;
        position++;
        // Handled before, or a second copy of an event earlier in this batch.
        if (!fresh.delete(item.event.id)) continue;
        const route = routes.get(key(item.event.type, item.event.version));
        if (!route) throw new TributaryError('TRIB_NO_HANDLER', `no SQL handler for ${item.event.type} version ${item.event.version}`);
        if (route.kind === 'each') {
          emitAll(keep, await route.handle(tx, item));
          continue;
        }
        const run: SqlBatchItem[] = [item];
        while (position < items.length) {
          const next = items[position]!;
          if (routes.get(key(next.event.type, next.event.version)) !== route) break;
          position++;
          if (fresh.delete(next.event.id)) run.push(next);
        }
        emitAll(keep, await route.handle(tx, run));
      }
      // Committed is enough for the ack: the XADDs, the XACK and the next read leave together.
    }, { waitForPublish: false });
    options.afterCommit?.(emitted);
  }

  async function handleBatch(events: Array<Envelope<unknown>>, context: BatchContext): Promise<void | BatchOutcome> {
    const items: IndexedItem[] = events.map((event, index) => ({
      event,
      entryId: context.entryIds[index]!,
      deliveryCount: context.deliveryCounts[index] ?? 1,
      index,
    }));
    try {
      await applyInOneTransaction(items);
      return;
    } catch (caught) {
      // Alone, the consumer's own retry and dead letter apply as they are.
      if (items.length === 1) throw caught;
      options.onFallback?.(items.length, caught instanceof Error ? caught : new Error(String(caught)));
    }
    // One transaction per event, in stream order: the failing ones are found and only they are reported.
    const failed: Array<{ index: number; error: Error }> = [];
    for (const item of items) {
      try {
        await applyInOneTransaction([item]);
      } catch (caught) {
        failed.push({ index: item.index, error: caught instanceof Error ? caught : new Error(String(caught)) });
      }
    }
    return { failed };
  }

  function register(definition: EventDefinition, route: Route): SqlBatchHandlers {
    routes.set(key(definition.type, definition.version), route);
    // The same function for every type: the consumer groups a whole read into one call.
    consumer.onBatch(definition, handleBatch);
    return handlers;
  }

  const handlers: SqlBatchHandlers = {
    on(definition, handler) {
      return register(definition, { kind: 'each', handle: handler as unknown as SqlEventHandler<EventDefinition> });
    },
    onMany(definition, handler) {
      const handle = handler as unknown as SqlEventsHandler<EventDefinition>;
      const route = manyRoutes.get(handle) ?? { kind: 'many' as const, handle };
      manyRoutes.set(handle, route);
      return register(definition, route);
    },
  };
  return handlers;
}

function emitAll(emit: (envelopes: readonly Envelope[]) => void, emitted: Emitted): void {
  if (emitted === undefined) return;
  emit(Array.isArray(emitted) ? (emitted as readonly Envelope[]) : [emitted as Envelope]);
}
