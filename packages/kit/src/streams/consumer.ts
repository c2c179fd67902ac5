import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import { compareIds,
  ensureGroup,
  pendingDeliveries,
  xackArgs,
  xautoclaim,
  xclaim,
  xreadgroup,
  type StreamEntry,
} from './commands.ts';
import { moveToDeadLetters, REPLAY_GROUP_FIELD } from './dead-letters.ts';
import { decodeEnvelope, type Envelope } from './envelope.ts';
import type { EventData, EventDefinition } from './events.ts';
import { backoffDelay } from './backoff.ts';
import { contextFromTraceparent, SpanKind, tracingEnabled, withSpan } from '../telemetry/tracing.ts';
import { withCorrelation } from '../telemetry/correlation.ts';

export interface HandlerContext {
  stream: string;
  group: string;
  consumer: string;
  entryId: string;
  /** 1 on first delivery; counted by Redis, so it survives a crash. */
  deliveryCount: number;
  /** Aborted when the consumer is closing and its deadline has passed. */
  signal: AbortSignal;
}

export type Handler<D extends EventDefinition> = (event: Envelope<EventData<D>>, context: HandlerContext) => Promise<void>;

/** What a consumer reports, for logs and metrics. */
export type ConsumerReport =
  | { kind: 'handled'; type: string; entryId: string; durationMs: number }
  | { kind: 'retry'; type: string; entryId: string; attempt: number; delayMs: number; error: Error }
  | { kind: 'dead-lettered'; type: string; entryId: string; reason: string }
  | { kind: 'claimed'; count: number }
  | { kind: 'loop-error'; error: Error };

export interface ConsumerOptions {
  redis: RedisClient;
  stream: string;
  group: string;
  /** Unique per live instance. Keep it stable across restarts of one instance so it finishes its own pending entries first. */
  consumer?: string;
  batchSize?: number;
  blockMs?: number;
  /** Entries idle this long on any consumer (a dead one) are reclaimed. */
  claimIdleMs?: number;
  claimIntervalMs?: number;
  /** Deliveries before an entry goes to the dead-letter stream. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Where a new group starts: '0' replays the stream's history (catch-up), '$' only new entries. */
  startFrom?: '0' | '$';
  shutdownTimeoutMs?: number;
  onReport?: (report: ConsumerReport) => void;
}

export const consumerDefaults = {
  batchSize: 100,
  blockMs: 1_000,
  claimIdleMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 5_000,
  startFrom: '0' as '0' | '$',
  shutdownTimeoutMs: 10_000,
};

/** The instance part of a consumer name: TRIBUTARY_INSTANCE if set (stable across restarts), else host, pid and a nonce. */
export function defaultConsumerName(): string {
  return process.env.TRIBUTARY_INSTANCE ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface BatchContext {
  stream: string;
  group: string;
  consumer: string;
  /** The entries' ids, in the order of the events. */
  entryIds: string[];
  /** Per event, as in HandlerContext. */
  deliveryCounts: number[];
  signal: AbortSignal;
}

/**
 * What a batch handler may say about single events: those listed failed
 * (retried on their own, then dead-lettered, as a single handler's would);
 * every other event of the batch is acked. Resolving with nothing acks all.
 */
export interface BatchOutcome {
  failed?: Array<{ index: number; error: Error }>;
}

export type BatchHandler<D extends EventDefinition> = (events: Array<Envelope<EventData<D>>>, context: BatchContext) => Promise<void | BatchOutcome>;

type SingleHandle = (event: Envelope<unknown>, context: HandlerContext) => Promise<void>;
type BatchHandle = (events: Array<Envelope<unknown>>, context: BatchContext) => Promise<void | BatchOutcome>;

type Route =
  | { kind: 'single'; definition: EventDefinition; handle: SingleHandle }
  | { kind: 'batch'; definition: EventDefinition; handle: BatchHandle };

interface BatchRun {
  handle: BatchHandle;
  alone: boolean;
  items: Array<{ entry: StreamEntry; deliveryCount: number; event: Envelope<unknown> }>;
}

export interface Consumer {
  readonly name: string;
  on<D extends EventDefinition>(definition: D, handler: Handler<D>): Consumer;
  /**
   * Handles every valid event of this type from one read in one call, for
   * handlers that pipeline their writes (high-rate telemetry). All are acked
   * when it resolves, but those it names in `failed`; if it throws, each is retried on its own. Handlers must
   * be idempotent per event, as always.
   */
  onBatch<D extends EventDefinition>(definition: D, handler: BatchHandler<D>): Consumer;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createConsumer(options: ConsumerOptions): Consumer {
  const config = { ...consumerDefaults, ...options };
  const claimIntervalMs = options.claimIntervalMs ?? Math.max(100, Math.min(config.claimIdleMs / 2, 5_000));
  if (config.backoffMaxMs >= config.claimIdleMs) {
    throw new TributaryError('TRIB_INVALID_CONFIG', 'backoffMaxMs must be below claimIdleMs, or retries are claimed by other instances');
  }
  const { stream, group } = config;
  const name = options.consumer ?? defaultConsumerName();
  const routes = new Map<string, Map<number, Route>>();
  const retries = new Map<string, { at: number; delayMs: number }>();
  const abort = new AbortController();
  const report = config.onReport ?? (() => undefined);
  let connection: RedisClient | null = null;
  let loop: Promise<void> | null = null;
  let starting: Promise<void> | null = null;
  let stopping = false;
  let closing: Promise<void> | null = null;
  let nextClaimAt = 0;

  async function deadLetter(entry: StreamEntry, handler: string, error: string, attempts: number) {
    await moveToDeadLetters(connection as RedisClient, stream, entry, { group, consumer: name, handler, error, attempts });
    report({ kind: 'dead-lettered', type: entry.fields.type ?? '?', entryId: entry.id, reason: error });
  }

  type Prepared =
    | { kind: 'settled'; ack: boolean }
    | { kind: 'ready'; route: Route; event: Envelope<unknown> };

  /** Decodes and checks an entry; `settled` when there is nothing to run (skipped or dead-lettered). */
  async function prepare(entry: StreamEntry, deliveryCount: number): Promise<Prepared> {
    if (Object.keys(entry.fields).length === 0) return { kind: 'settled', ack: true }; // deleted from the stream while pending
    const replayFor = entry.fields[REPLAY_GROUP_FIELD];
    if (replayFor !== undefined && replayFor !== group) return { kind: 'settled', ack: true };
    const decoded = decodeEnvelope(entry.fields);
    if (!decoded.ok) {
      await deadLetter(entry, '-', `invalid entry: ${decoded.reason}`, deliveryCount);
      return { kind: 'settled', ack: false };
    }
    const event = decoded.envelope;
    const versions = routes.get(event.type);
    if (!versions) return { kind: 'settled', ack: true }; // not an event this group subscribes to
    const route = versions.get(event.version);
    if (!route) {
      await deadLetter(entry, event.type, `no handler for ${event.type} version ${event.version}`, deliveryCount);
      return { kind: 'settled', ack: false };
    }
    const problem = route.definition.validate(event.data);
    if (problem) {
      await deadLetter(entry, event.type, `invalid ${event.type}: ${problem}`, deliveryCount);
      return { kind: 'settled', ack: false };
    }
    if (deliveryCount > config.maxAttempts) {
      await deadLetter(entry, event.type, `delivered ${deliveryCount} times without an ack (consumer died while handling?)`, deliveryCount);
      return { kind: 'settled', ack: false };
    }
    return { kind: 'ready', route, event };
  }

  /** A failed attempt: retried after a backoff, or dead-lettered on the last attempt. */
  async function failed(entry: StreamEntry, type: string, deliveryCount: number, caught: unknown) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    if (deliveryCount >= config.maxAttempts) {
      await deadLetter(entry, type, error.message, deliveryCount);
      return;
    }
    // The entry stays pending on this consumer; XCLAIM after the delay makes
    // Redis count the redelivery, so attempts survive a crash.
    const delayMs = backoffDelay(deliveryCount, config.backoffBaseMs, config.backoffMaxMs);
    retries.set(entry.id, { at: Date.now() + delayMs, delayMs });
    report({ kind: 'retry', type, entryId: entry.id, attempt: deliveryCount, delayMs, error });
  }

  /** Returns true when the entry may be acked now. */
  async function runOne(entry: StreamEntry, deliveryCount: number, handle: SingleHandle, event: Envelope<unknown>): Promise<boolean> {
    const started = performance.now();
    try {
      const call = () => withCorrelation(event.correlationId, () => handle(event, { stream, group, consumer: name, entryId: entry.id, deliveryCount, signal: abort.signal }));
      if (tracingEnabled()) {
        // A child of the span that published the event: one flow, one trace across services.
        await withSpan(
          `handle ${event.type}`,
          {
            kind: SpanKind.CONSUMER,
            parent: contextFromTraceparent(event.traceparent),
            attributes: {
              'messaging.system': 'redis',
              'messaging.destination.name': stream,
              'messaging.consumer.group.name': group,
              'messaging.message.id': entry.id,
              'tributary.event.id': event.id,
              'tributary.event.type': event.type,
              'tributary.correlation_id': event.correlationId,
              'tributary.delivery_count': deliveryCount,
            },
          },
          call,
        );
      } else {
        await call();
      }
      report({ kind: 'handled', type: event.type, entryId: entry.id, durationMs: performance.now() - started });
      return true;
    } catch (caught) {
      await failed(entry, event.type, deliveryCount, caught);
      return false;
    }
  }

  /**
   * One call for a run of entries: all acked when it resolves. When it throws
   * we cannot tell which entry failed, so each one is retried on its own
   * schedule, and a retried entry reaches the handler alone.
   */
  async function runMany(run: BatchRun): Promise<string[]> {
    const started = performance.now();
    const entryIds = run.items.map((item) => item.entry.id);
    try {
      const call = () =>
        run.handle(
          run.items.map((item) => item.event),
          { stream, group, consumer: name, entryIds, deliveryCounts: run.items.map((item) => item.deliveryCount), signal: abort.signal },
        );
      let outcome: void | BatchOutcome;
      if (tracingEnabled()) {
        // A batch has many parents; it is traced as its own root, with the count.
        const type = run.items[0]?.event.type ?? '?';
        outcome = await withSpan(
          `handle batch ${type}`,
          { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'redis', 'messaging.destination.name': stream, 'messaging.consumer.group.name': group, 'messaging.batch.message_count': run.items.length } },
          call,
        );
      } else {
        outcome = await call();
      }
      const failedAt = new Map((outcome?.failed ?? []).map((failure) => [failure.index, failure.error]));
      const durationMs = (performance.now() - started) / run.items.length;
      const acked: string[] = [];
      for (const [index, item] of run.items.entries()) {
        const error = failedAt.get(index);
        if (error) {
          await failed(item.entry, item.event.type, item.deliveryCount, error);
        } else {
          report({ kind: 'handled', type: item.event.type, entryId: item.entry.id, durationMs });
          acked.push(item.entry.id);
        }
      }
      return acked;
    } catch (caught) {
      for (const item of run.items) await failed(item.entry, item.event.type, item.deliveryCount, caught);
      return [];
    }
  }

  async function processBatch(entries: StreamEntry[], countsKnown: boolean) {
    if (entries.length === 0) return;
    const redis = connection as RedisClient;
    const counts = countsKnown
      ? null
      : await pendingDeliveries(redis, {
          stream, group, consumer: name,
          from: entries[0]!.id, to: entries[entries.length - 1]!.id,
          count: entries.length + retries.size + config.batchSize,
        });
    const acks: string[] = [];
    // Consecutive entries of batch-handled types go to their handler together,
    // so relative stream order is kept across both kinds of handler.
    let run: BatchRun | null = null;
    const flush = async () => {
      if (run) acks.push(...(await runMany(run)));
      run = null;
    };
    for (const entry of entries) {
      retries.delete(entry.id);
      const deliveryCount = counts?.get(entry.id) ?? 1;
      const prepared = await prepare(entry, deliveryCount);
      if (prepared.kind === 'ready' && prepared.route.kind === 'batch') {
        const handle = prepared.route.handle;
        // A redelivered entry runs alone: one poison entry must not keep failing its neighbours.
        const alone = deliveryCount > 1;
        if (run && ((run as BatchRun).handle !== handle || alone || (run as BatchRun).alone)) await flush();
        if (alone) run = { handle, items: [], alone: true };
        run ??= { handle, items: [], alone: false };
        (run as BatchRun).items.push({ entry, deliveryCount, event: prepared.event });
        continue;
      }
      await flush();
      if (prepared.kind === 'settled') {
        if (prepared.ack) acks.push(entry.id);
      } else if (prepared.route.kind === 'single' && (await runOne(entry, deliveryCount, prepared.route.handle, prepared.event))) {
        acks.push(entry.id);
      }
    }
    await flush();
    if (acks.length > 0) await redis.sendCommand(xackArgs(stream, group, acks));
  }

  async function drainOwnPending() {
    let cursor = '0';
    while (!stopping) {
      const entries = await xreadgroup(connection as RedisClient, { stream, group, consumer: name, id: cursor, count: config.batchSize });
      if (entries.length === 0) return;
      await processBatch(entries, false);
      cursor = entries[entries.length - 1]!.id;
    }
  }

  async function retryDue() {
    const now = Date.now();
    const due = [...retries].filter(([, retry]) => retry.at <= now);
    if (due.length === 0) return;
    for (const [id] of due) retries.delete(id);
    // Only entries still pending on this consumer, and idle for at least their
    // backoff: one that another instance took over in the meantime (its idle
    // time restarted) stays with that instance instead of being handled twice.
    const ids = due.map(([id]) => id).sort(compareIds);
    const ours = await pendingDeliveries(connection as RedisClient, {
      stream, group, consumer: name, from: ids[0]!, to: ids[ids.length - 1]!, count: retries.size + ids.length + config.batchSize,
    });
    const stillOurs = ids.filter((id) => ours.has(id));
    if (stillOurs.length === 0) return;
    const minIdleMs = Math.min(...due.map(([, retry]) => retry.delayMs));
    const entries = await xclaim(connection as RedisClient, { stream, group, consumer: name, ids: stillOurs, minIdleMs });
    await processBatch(entries, false);
  }

  async function claimIdle() {
    nextClaimAt = Date.now() + claimIntervalMs;
    let start = '0-0';
    // Bounded per round so a huge backlog of dead entries cannot starve new ones.
    for (let round = 0; round < 10 && !stopping; round++) {
      const { next, entries } = await xautoclaim(connection as RedisClient, {
        stream, group, consumer: name, minIdleMs: config.claimIdleMs, start, count: config.batchSize,
      });
      if (entries.length > 0) {
        report({ kind: 'claimed', count: entries.length });
        await processBatch(entries, false);
      }
      if (next === '0-0') return;
      start = next;
    }
  }

  function nextWakeIn(): number {
    let wake = Math.min(config.blockMs, Math.max(0, nextClaimAt - Date.now()));
    for (const { at } of retries.values()) wake = Math.min(wake, Math.max(0, at - Date.now()));
    return Math.max(1, wake);
  }

  async function run() {
    let failures = 0;
    let drained = false;
    while (!stopping) {
      try {
        if (!drained) {
          await ensureGroup(connection as RedisClient, stream, group, config.startFrom);
          await drainOwnPending();
          drained = true;
        }
        await retryDue();
        if (Date.now() >= nextClaimAt) await claimIdle();
        if (stopping) break;
        const entries = await xreadgroup(connection as RedisClient, {
          stream, group, consumer: name, id: '>', count: config.batchSize, blockMs: nextWakeIn(),
        });
        await processBatch(entries, true);
        failures = 0;
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        // NOGROUP: the stream or group vanished (e.g. a Redis without persistence restarted).
        if (error.message.includes('NOGROUP')) drained = false;
        report({ kind: 'loop-error', error });
        failures++;
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures, 50, 2_000)));
      }
    }
  }

  function addRoute(route: Route): Consumer {
    if (starting) throw new TributaryError('TRIB_CONSUMER_STATE', 'register handlers before start()');
    const { definition } = route;
    if (definition.stream !== stream) {
      throw new TributaryError('TRIB_INVALID_CONFIG', `${definition.type} is published on ${definition.stream}, not ${stream}`);
    }
    const versions = routes.get(definition.type) ?? new Map<number, Route>();
    versions.set(definition.version, route);
    routes.set(definition.type, versions);
    return consumer;
  }

  const consumer: Consumer = {
    name,
    on(definition, handler) {
      return addRoute({ kind: 'single', definition, handle: handler as SingleHandle });
    },
    onBatch(definition, handler) {
      return addRoute({ kind: 'batch', definition, handle: handler as BatchHandle });
    },
    async start() {
      if (starting || loop) throw new TributaryError('TRIB_CONSUMER_STATE', 'already started');
      if (stopping) throw new TributaryError('TRIB_CONSUMER_STATE', 'closed');
      starting = (async () => {
        // Its own connection: XREADGROUP BLOCK would stall every other command on a shared one.
        const own = config.redis.duplicate();
        connection = own;
        own.on('error', (error: Error) => report({ kind: 'loop-error', error }));
        await own.connect();
        await ensureGroup(own, stream, group, config.startFrom);
        // close() may have been called while we connected: then no loop starts.
        loop = stopping ? Promise.resolve() : run();
      })();
      return starting;
    },
    close() {
      stopping = true;
      if (!starting) return Promise.resolve();
      // Every caller waits for the same shutdown: a second close() must not
      // resolve while the first is still letting the in-flight batch finish.
      closing ??= (async () => {
        await starting?.catch(() => undefined);
        const deadline = setTimeout(() => abort.abort(), config.shutdownTimeoutMs);
        await loop;
        clearTimeout(deadline);
        await connection?.close().catch(() => connection?.destroy());
      })();
      return closing;
    },
  };
  return consumer;
}
