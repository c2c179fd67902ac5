import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import { ensureGroup } from './commands.ts';
import type { Envelope } from './envelope.ts';
import type { EventData, EventDefinition } from './events.ts';
import { correlate } from './consumer/middleware/correlation.ts';
import { deadLetterBatch, deadLetterFailed, type DeadLetterBox } from './consumer/middleware/dead-letter.ts';
import type { BatchHandlerFunc, BatchMiddleware, BatchResult, Delivery, HandlerContext, HandlerFunc, Middleware } from './consumer/pipeline.ts';
import { runReadLoop } from './consumer/read-loop.ts';
import { reportHandled, reportHandledBatch } from './consumer/middleware/reporting.ts';
import { retry, retryBatch, RetrySchedule, type RetryReport } from './consumer/middleware/retry.ts';
import { createRouter, type KeyOf } from './consumer/router.ts';
import { traceBatch, traceHandler } from './consumer/middleware/tracing.ts';
import type { Registry } from 'prom-client';
import { periodicJob } from '../telemetry/periodic.ts';

export type { HandlerContext } from './consumer/pipeline.ts';

export type Handler<D extends EventDefinition> = (event: Envelope<EventData<D>>, context: HandlerContext) => Promise<void>;

export interface HandlerOptions<D extends EventDefinition> {
  /**
   * The aggregate an event belongs to (an order id, a delivery id). Events
   * with the same key are handled one after the other in stream order;
   * events with different keys may be handled at once, up to the
   * consumer's `concurrency` (consumer/lanes.ts). Without a key, the
   * handler takes one event at a time, in stream order. Give one only when
   * events of different keys may be applied in any order (their effects
   * commute: per-key records, counters, idempotent writes).
   */
  key?: (event: Envelope<EventData<D>>) => string;
}

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
  /**
   * After a read that found entries but fewer than `batchSize`, wait this
   * long before reading again, so that under steady load each read (one
   * transaction, one ack) takes more entries. An event arriving on a quiet
   * stream is still read at once: the wait comes after a read, never before
   * it. 0 (the default) reads again at once. For consumers off the latency
   * path (history, mail, projections); see docs/kit/sql-batch.md.
   */
  lingerMs?: number;
  /** Entries idle this long on any consumer (a dead one) are reclaimed. */
  claimIdleMs?: number;
  claimIntervalMs?: number;
  /** Deliveries before an entry goes to the dead-letter stream. */
  maxAttempts?: number;
  /**
   * Most keys whose events are handled at once, for handlers registered
   * with a `key` (HandlerOptions); other handlers take one event at a time.
   */
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Where a new group starts: '0' replays the stream's history (catch-up), '$' only new entries. */
  startFrom?: '0' | '$';
  shutdownTimeoutMs?: number;
  onReport?: (report: ConsumerReport) => void;
  /**
   * Where the retry and claim loops report their run time and entries
   * (`tributary_periodic_*{job="consumer-retry|consumer-claim:<stream>:<group>"}`):
   * the service's /metrics registry; prom-client's global one when absent.
   */
  registry?: Registry;
}

export const consumerDefaults = {
  batchSize: 100,
  blockMs: 1_000,
  lingerMs: 0,
  claimIdleMs: 30_000,
  maxAttempts: 5,
  concurrency: 16,
  backoffBaseMs: 100,
  backoffMaxMs: 5_000,
  startFrom: '0' as '0' | '$',
  shutdownTimeoutMs: 10_000,
};

/**
 * The `lingerMs` for consumers off the latency path (history, mail,
 * projections, the delivery side of an order): a few tens of milliseconds
 * later, several events per read and per transaction instead of one.
 */
export const BACKGROUND_LINGER_MS = 25;

/**
 * The `lingerMs` for the consumers an order waits on (ordering, accounts,
 * fulfillment): a few milliseconds after a read that found entries, so that
 * under load the next read finds several and they share one transaction.
 * A lone event is not held: the pause comes after it was handled, before the
 * next read. Measured with PostgreSQL (docs/benchmarks.md, seventeenth run):
 * 7% more orders a second at saturation, and the same saga p50 / p99 at half
 * that rate.
 */
export const SAGA_LINGER_MS = 5;

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

export interface Consumer {
  readonly name: string;
  on<D extends EventDefinition>(definition: D, handler: Handler<D>, options?: HandlerOptions<D>): Consumer;
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

/**
 * A consumer group member: a router of event types to handlers, each
 * wrapped in the consumer's middlewares (outermost first): reporting (only
 * with `onReport`), retry (which hands the last failed attempt to the dead
 * letter's handler), tracing, correlation; batches: reporting, dead letter,
 * retry, tracing. The read loop (consumer/read-loop.ts) feeds it reads,
 * claims and retries.
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const config = { ...consumerDefaults, ...options };
  const claimIntervalMs = options.claimIntervalMs ?? Math.max(100, Math.min(config.claimIdleMs / 2, 5_000));
  if (config.backoffMaxMs >= config.claimIdleMs) {
    throw new TributaryError('TRIB_INVALID_CONFIG', 'backoffMaxMs must be below claimIdleMs, or retries are claimed by other instances');
  }
  const { stream, group } = config;
  const name = options.consumer ?? defaultConsumerName();
  const abort = new AbortController();
  const report = config.onReport ?? (() => undefined);
  const schedule = new RetrySchedule();
  let connection: RedisClient | null = null;
  let loop: Promise<void> | null = null;
  let starting: Promise<void> | null = null;
  let stopping = false;
  let closing: Promise<void> | null = null;

  const deadLetters: DeadLetterBox = {
    redis: () => connection as RedisClient,
    stream,
    group,
    consumer: name,
    onDeadLettered: (type, entryId, reason) => report({ kind: 'dead-lettered', type, entryId, reason }),
  };
  const router = createRouter({ stream, group, consumer: name, signal: abort.signal, maxAttempts: config.maxAttempts, concurrency: config.concurrency, deadLetters, forget: (entryId) => schedule.forget(entryId) });

  function middlewares(): { single: Middleware[]; batch: BatchMiddleware[] } {
    const onRetry: RetryReport = (delivery, delayMs, error) =>
      report({ kind: 'retry', type: delivery.event.type, entryId: delivery.entryId, attempt: delivery.deliveryCount, delayMs, error });
    const onHandled = (type: string, entryId: string, durationMs: number) => report({ kind: 'handled', type, entryId, durationMs });
    const names = { stream, group };
    return {
      single: [
        ...(config.onReport ? [reportHandled(onHandled)] : []),
        // Retry hands the last failed attempt to the dead-letter handler itself (one promise per event fewer).
        retry(config, schedule, onRetry, deadLetterFailed(deadLetters)),
        traceHandler(names),
        correlate,
      ],
      batch: [
        ...(config.onReport ? [reportHandledBatch(onHandled)] : []),
        deadLetterBatch(deadLetters),
        retryBatch(config, schedule, onRetry),
        traceBatch(names),
      ],
    };
  }

  function single<D extends EventDefinition>(handler: Handler<D>): HandlerFunc {
    // Promise.resolve: the middlewares chain with `.then`, and a handler written without async returns no promise.
    return (delivery: Delivery) => Promise.resolve(handler(delivery.event as Envelope<EventData<D>>, delivery));
  }

  // The same handler registered for several types stays one function, so consecutive
  // entries of those types form one run (one call, e.g. one SQL transaction per read).
  const batchFuncs = new WeakMap<object, BatchHandlerFunc>();
  function batch<D extends EventDefinition>(handler: BatchHandler<D>): BatchHandlerFunc {
    const known = batchFuncs.get(handler);
    if (known) return known;
    const func = async (deliveries: Delivery[]): Promise<BatchResult> => {
      const outcome = await handler(deliveries.map((delivery) => delivery.event as Envelope<EventData<D>>), {
        stream, group, consumer: name,
        entryIds: deliveries.map((delivery) => delivery.entryId),
        deliveryCounts: deliveries.map((delivery) => delivery.deliveryCount),
        signal: abort.signal,
      });
      const failed = outcome?.failed ?? [];
      if (failed.length === 0) return;
      const results: Array<Error | undefined> = new Array(deliveries.length).fill(undefined);
      for (const { index, error } of failed) if (error && index >= 0 && index < deliveries.length) results[index] = error;
      return results;
    };
    batchFuncs.set(handler, func);
    return func;
  }

  function register(add: () => void): Consumer {
    if (starting) throw new TributaryError('TRIB_CONSUMER_STATE', 'register handlers before start()');
    add();
    return consumer;
  }

  const consumer: Consumer = {
    name,
    on(definition, handler, handlerOptions) {
      const key = handlerOptions?.key as KeyOf | undefined;
      return register(() => router.add('single', definition, single(handler), key));
    },
    onBatch(definition, handler) {
      return register(() => router.add('batch', definition, batch(handler)));
    },
    async start() {
      if (starting || loop) throw new TributaryError('TRIB_CONSUMER_STATE', 'already started');
      if (stopping) throw new TributaryError('TRIB_CONSUMER_STATE', 'closed');
      const chains = middlewares();
      router.wrap(chains.single, chains.batch);
      starting = (async () => {
        // Its own connection: XREADGROUP BLOCK would stall every other command on a shared one.
        const own = config.redis.duplicate();
        connection = own;
        own.on('error', (error: Error) => report({ kind: 'loop-error', error }));
        await own.connect();
        await ensureGroup(own, stream, group, config.startFrom);
        // close() may have been called while we connected: then no loop starts.
        loop = stopping
          ? Promise.resolve()
          : runReadLoop({
              redis: own, stream, group, consumer: name,
              batchSize: config.batchSize, blockMs: config.blockMs, lingerMs: config.lingerMs, claimIdleMs: config.claimIdleMs, claimIntervalMs, startFrom: config.startFrom,
              router, schedule,
              onClaimed: (count) => report({ kind: 'claimed', count }),
              retryMeter: periodicJob(`consumer-retry:${stream}:${group}`, options.registry ? { registry: options.registry } : {}),
              claimMeter: periodicJob(`consumer-claim:${stream}:${group}`, options.registry ? { registry: options.registry } : {}),
              onLoopError: (error) => report({ kind: 'loop-error', error }),
              stopping: () => stopping,
            });
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
