import { TributaryError } from '../../errors.ts';
import { replyField } from '../../redis/replies.ts';
import type { RawEntry } from '../commands.ts';
import { REPLAY_GROUP_FIELD } from '../dead-letters.ts';
import { decodeEnvelopeFields, isKitEntry, type Envelope } from '../envelope.ts';
import type { EventDefinition } from '../events.ts';
import { deadLetter, type DeadLetterBox } from './middleware/dead-letter.ts';
import { runInLanes, type Keyed } from './lanes.ts';
import { compose, type BatchHandlerFunc, type BatchMiddleware, type BatchResult, type Delivery, type HandlerFunc, type Middleware } from './pipeline.ts';

/** Events with the same key are handled in stream order; different keys may be handled at once (lanes.ts). */
export type KeyOf = (event: Envelope<unknown>) => string;

type Route =
  | { kind: 'single'; definition: EventDefinition; handle: HandlerFunc; key?: KeyOf }
  | { kind: 'batch'; definition: EventDefinition; handle: BatchHandlerFunc };

/**
 * Routes each entry of a read to the handler of its type and version, after
 * the checks every entry gets: decoded from Redis's reply, its data validated
 * against the event's schema (the contract: nothing from a stream reaches a
 * handler unchecked), its delivery count under the limit. Consecutive
 * entries for one batch handler go to it together, and consecutive entries
 * for keyed single handlers run in lanes, one per key (lanes.ts), so stream
 * order holds across all kinds of handler (for keyed ones, per key).
 */
export interface Router {
  add(kind: 'single', definition: EventDefinition, handle: HandlerFunc, key?: KeyOf): void;
  add(kind: 'batch', definition: EventDefinition, handle: BatchHandlerFunc): void;
  /** Wraps every route's handler in the middlewares, the first outermost. Once, before the first dispatch. */
  wrap(middlewares: Middleware[], batchMiddlewares: BatchMiddleware[]): void;
  /**
   * Handles entries in stream order and pushes the ids to ack onto `acks`
   * as it goes (the caller acks them even if a later entry throws).
   * `counts` are the delivery counts from XPENDING; null means first delivery.
   */
  dispatch(entries: RawEntry[], counts: Map<string, number> | null, acks: string[]): Promise<void>;
}

/** A key function that throws (a bug) costs its events their parallelism, not their handling: they share one lane. */
function keyOf(key: KeyOf, event: Envelope<unknown>): string {
  try {
    return String(key(event));
  } catch {
    return '';
  }
}

export function createRouter(options: {
  stream: string;
  group: string;
  consumer: string;
  signal: AbortSignal;
  maxAttempts: number;
  /** Most keys whose handlers run at once (lanes.ts). */
  concurrency: number;
  deadLetters: DeadLetterBox;
  forget(entryId: string): void;
}): Router {
  const { stream, group, consumer, signal, maxAttempts, deadLetters } = options;
  const routes = new Map<string, Map<number, Route>>();

  interface Run {
    handle: BatchHandlerFunc;
    alone: boolean;
    deliveries: Delivery[];
  }

  async function runBatch(run: Run, acks: string[]) {
    const results: BatchResult = await run.handle(run.deliveries);
    for (let i = 0; i < run.deliveries.length; i++) {
      if (!results || results[i] === undefined) acks.push((run.deliveries[i] as Delivery).entryId);
    }
  }

  const reject = (entryId: string, fields: string[] | null, type: string, handler: string, reason: string, attempts: number) =>
    deadLetter(deadLetters, { entryId, fields, type }, handler, reason, attempts);

  return {
    add(kind: 'single' | 'batch', definition: EventDefinition, handle: HandlerFunc | BatchHandlerFunc, key?: KeyOf) {
      if (definition.stream !== stream) {
        throw new TributaryError('TRIB_INVALID_CONFIG', `${definition.type} is published on ${definition.stream}, not ${stream}`);
      }
      const versions = routes.get(definition.type) ?? new Map<number, Route>();
      versions.set(definition.version, (key ? { kind, definition, handle, key } : { kind, definition, handle }) as Route);
      routes.set(definition.type, versions);
    },

    wrap(middlewares, batchMiddlewares) {
      // One wrapped function per handler, not per route: types that share a
      // batch handler must still share one function, or a read stops being one run.
      const wrapped = new Map<HandlerFunc | BatchHandlerFunc, HandlerFunc | BatchHandlerFunc>();
      for (const versions of routes.values()) {
        for (const route of versions.values()) {
          if (route.kind === 'single') {
            const handle = (wrapped.get(route.handle) as HandlerFunc | undefined) ?? compose(middlewares, route.handle);
            wrapped.set(route.handle, handle);
            route.handle = handle;
          } else {
            const handle = (wrapped.get(route.handle) as BatchHandlerFunc | undefined) ?? compose(batchMiddlewares, route.handle);
            wrapped.set(route.handle, handle);
            route.handle = handle;
          }
        }
      }
    },

    async dispatch(entries, counts, acks) {
      let run: Run | null = null;
      let keyed: Keyed[] = [];
      // A run of either kind ends where an entry of another kind of handler starts.
      const flush = async () => {
        if (run) {
          await runBatch(run, acks);
          run = null;
        }
        if (keyed.length > 0) {
          const items = keyed;
          keyed = [];
          await runInLanes(items, options.concurrency, acks);
        }
      };
      for (const [entryId, fields] of entries) {
        options.forget(entryId);
        const deliveryCount = counts?.get(entryId) ?? 1;
        // Deleted from the stream while pending: nothing left to handle.
        if (!fields || fields.length === 0) {
          acks.push(entryId);
          continue;
        }
        // A replayed dead letter carries a field the kit never writes (see replayDeadLetters).
        const kitEntry = isKitEntry(fields);
        const replayFor = kitEntry ? undefined : replyField(fields, REPLAY_GROUP_FIELD);
        if (replayFor !== undefined && replayFor !== group) {
          acks.push(entryId);
          continue;
        }
        // Most of a shared stream is events other groups want: those are acked
        // unread, without parsing their data. Whether such an entry is valid
        // is for the groups that subscribe to its type to find out.
        const type = kitEntry ? fields[3] : replyField(fields, 'type');
        if (type !== undefined && type !== '' && !routes.has(type)) {
          acks.push(entryId);
          continue;
        }
        const decoded = decodeEnvelopeFields(fields);
        let event: Envelope<unknown> | null = null;
        let route: Route | undefined;
        if (typeof decoded === 'string') {
          await reject(entryId, fields, replyField(fields, 'type') ?? '?', '-', `invalid entry: ${decoded}`, deliveryCount);
        } else {
          event = decoded;
          if (!(route = routes.get(event.type)?.get(event.version))) {
            await reject(entryId, fields, event.type, event.type, `no handler for ${event.type} version ${event.version}`, deliveryCount);
            event = null;
          } else {
            const problem = route.definition.validate(event.data);
            if (problem) {
              await reject(entryId, fields, event.type, event.type, `invalid ${event.type}: ${problem}`, deliveryCount);
              event = null;
            } else if (deliveryCount > maxAttempts) {
              const reason = `delivered ${deliveryCount} times without an ack (consumer died while handling?)`;
              await reject(entryId, fields, event.type, event.type, reason, deliveryCount);
              event = null;
            }
          }
        }
        if (event && route?.kind === 'batch') {
          // A redelivered entry runs alone: one poison entry must not keep failing its neighbours.
          const alone = deliveryCount > 1;
          if (keyed.length > 0 || (run && (run.handle !== route.handle || alone || run.alone))) await flush();
          run ??= { handle: route.handle, alone, deliveries: [] };
          run.deliveries.push({ stream, group, consumer, signal, entryId, deliveryCount, fields, event });
          continue;
        }
        if (event && route?.kind === 'single' && route.key) {
          if (run) await flush();
          keyed.push({ key: keyOf(route.key, event), handle: route.handle, delivery: { stream, group, consumer, signal, entryId, deliveryCount, fields, event } });
          continue;
        }
        await flush();
        if (event && route?.kind === 'single') {
          const outcome = await route.handle({ stream, group, consumer, signal, entryId, deliveryCount, fields, event });
          if (outcome === undefined) acks.push(entryId);
        }
      }
      await flush();
    },
  };
}
