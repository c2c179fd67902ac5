import { randomBytes } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import { runLuaScript } from '../redis/script.ts';
import { backoffDelay } from '../streams/backoff.ts';
import { asError } from '../streams/consumer/pipeline.ts';
import { defaultConsumerName } from '../streams/consumer.ts';
import { PermanentJobError } from './errors.ts';
import type { Queue } from './queue.ts';
import { queueScripts } from './scripts.ts';
import { sweepQueue } from './sweep.ts';
import { periodicJob } from '../telemetry/periodic.ts';
import type { Registry } from 'prom-client';

export interface JobContext {
  id: string;
  /** 1 on the first take; counted in Redis, so a take by a worker that died counts too. */
  attempt: number;
  workerId: string;
  /** Aborted when the worker is closing and its deadline has passed. */
  signal: AbortSignal;
}

export type JobHandler<S extends TSchema> = (payload: Static<S>, context: JobContext) => Promise<void>;

export type WorkerReport =
  | { kind: 'completed'; id: string; attempt: number; durationMs: number }
  | { kind: 'retry'; id: string; attempt: number; delayMs: number; error: Error }
  | { kind: 'dead'; id: string; attempt: number; reason: string }
  /** Taken, but its payload was gone: finished or buried by another worker meanwhile. */
  | { kind: 'stale'; id: string }
  | { kind: 'recovered'; count: number }
  | { kind: 'loop-error'; error: Error };

export interface WorkerOptions<S extends TSchema> {
  queue: Queue<S>;
  handler: JobHandler<S>;
  /** Unique among live workers; default `<TRIBUTARY_INSTANCE or host-pid>-<nonce>`. */
  workerId?: string;
  /** The heartbeat key expires this long after the last refresh (refreshed every third of it). */
  heartbeatTtlMs?: number;
  /** Longest BLMOVE wait; also bounds how late a due retry is noticed when nothing is pushed. */
  blockMs?: number;
  /** Takes before an item goes to the dead list. */
  maxAttempts?: number;
  /**
   * Items handled at once (default 1). A handler spends most of its time
   * waiting on round trips; one at a time, a mail worker managed fewer mails
   * than the shop makes at 100 orders/s (docs/benchmarks.md, Memory).
   * Items then finish in any order, not strictly the order they were taken.
   */
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often this worker sweeps the queue for dead workers' items; 0 turns it off. */
  sweepIntervalMs?: number;
  /** Where the sweep's run time and items moved go (`tributary_periodic_*{job="queue-sweep:<name>"}`); default: prom-client's global registry. */
  registry?: Registry;
  shutdownTimeoutMs?: number;
  onReport?: (report: WorkerReport) => void;
}

export const workerDefaults = {
  heartbeatTtlMs: 10_000,
  blockMs: 1_000,
  maxAttempts: 5,
  concurrency: 1,
  backoffBaseMs: 200,
  backoffMaxMs: 30_000,
  shutdownTimeoutMs: 10_000,
};

export interface Worker {
  readonly id: string;
  start(): Promise<void>;
  /** Finishes the item in hand (or gives it back after the deadline), then unregisters. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createWorker<S extends TSchema>(options: WorkerOptions<S>): Worker {
  const config = { ...workerDefaults, ...options };
  const { queue, handler } = config;
  const { keys, redis } = queue;
  if (!(config.heartbeatTtlMs >= 30) || !(config.maxAttempts >= 1) || !(config.blockMs >= 1) || !Number.isInteger(config.concurrency) || config.concurrency < 1) {
    throw new TributaryError('TRIB_INVALID_CONFIG', 'heartbeatTtlMs >= 30, maxAttempts >= 1, blockMs >= 1 and an integer concurrency >= 1 are required');
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? config.heartbeatTtlMs;
  const sweepMeter = periodicJob(`queue-sweep:${queue.name}`, options.registry ? { registry: options.registry } : {});
  const workerId = options.workerId ?? `${defaultConsumerName()}-${randomBytes(3).toString('hex')}`;
  const processing = keys.processing(workerId);
  const report = config.onReport ?? (() => undefined);
  const abort = new AbortController();
  let blocking: RedisClient | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let loop: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  let stopping = false;
  let waitingForItem = false;
  let nextSweepAt = 0;

  async function bury(id: string, attempt: number, reason: string) {
    await runLuaScript(redis, queueScripts.bury, [processing, keys.dead, keys.items, keys.attempts], [
      id, reason.slice(0, 2_000), attempt, queue.deadLimit, new Date().toISOString(),
    ]);
    report({ kind: 'dead', id, attempt, reason });
  }

  /** After a blocking take, which moved the id only: its count and payload, read together. */
  async function handleMoved(id: string) {
    // One MULTI: the count and the payload are read together, so an item
    // finished meanwhile is seen as gone rather than half there.
    const [counted, raw] = (await redis.multi().hIncrBy(keys.attempts, id, 1).hGet(keys.items, id).exec()) as unknown as [number, string | null];
    if (raw === null || raw === undefined) {
      await redis.multi().lRem(processing, 1, id).hDel(keys.attempts, id).exec();
      report({ kind: 'stale', id });
      return;
    }
    await handle(id, Number(counted), raw);
  }

  async function handle(id: string, attempt: number, raw: string) {
    const parsed = queue.parse(raw);
    if (!parsed.ok) return bury(id, attempt, parsed.reason);
    if (attempt > config.maxAttempts) {
      return bury(id, attempt, `taken ${attempt} times without completing (did a worker die while processing it?)`);
    }
    const started = performance.now();
    try {
      await handler(parsed.value, { id, attempt, workerId, signal: abort.signal });
    } catch (caught) {
      const error = asError(caught);
      if (error instanceof PermanentJobError || attempt >= config.maxAttempts) return bury(id, attempt, error.message);
      const delayMs = backoffDelay(attempt, config.backoffBaseMs, config.backoffMaxMs);
      await runLuaScript(redis, queueScripts.retry, [processing, keys.delayed, keys.items], [id, delayMs]);
      report({ kind: 'retry', id, attempt, delayMs, error });
      return;
    }
    await runLuaScript(redis, queueScripts.complete, [processing, keys.pending, keys.delayed, keys.items, keys.attempts], [id]);
    report({ kind: 'completed', id, attempt, durationMs: performance.now() - started });
  }

  async function sweep() {
    nextSweepAt = Date.now() + sweepIntervalMs;
    const moved = await sweepMeter.run(async (run) => {
      const count = await sweepQueue(redis, queue.name);
      run.items(count);
      return count;
    });
    if (moved > 0) report({ kind: 'recovered', count: moved });
  }

  /** Items being handled; the loop takes more only while there is room. */
  const inHand = new Set<Promise<void>>();

  /** One at a time the loop waits for the item; with `concurrency` above 1 it goes on taking beside it. */
  async function dispatch(work: () => Promise<void>) {
    if (config.concurrency === 1) return work();
    const task: Promise<void> = work()
      // The item stays in this worker's processing list: a restart or the sweep gives it back.
      .catch((caught: unknown) => report({ kind: 'loop-error', error: asError(caught) }))
      .finally(() => inHand.delete(task));
    inHand.add(task);
  }

  /** take-5.lua: due retries promoted and up to `room` items taken in one call. */
  async function takeWithoutWaiting(room: number): Promise<{ taken: number; nextDueInMs: number }> {
    const [dueInMs, ...taken] = await runLuaScript<[number, ...Array<string | number | null>]>(
      redis,
      queueScripts.take,
      [keys.delayed, keys.pending, processing, keys.items, keys.attempts],
      [100, room],
    );
    for (let i = 0; i < taken.length; i += 3) {
      const id = String(taken[i]);
      const attempt = Number(taken[i + 1]);
      const raw = taken[i + 2];
      if (raw === null || raw === undefined) report({ kind: 'stale', id });
      else await dispatch(() => handle(id, attempt, String(raw)));
    }
    return { taken: taken.length / 3, nextDueInMs: Number(dueInMs) };
  }

  async function run() {
    let failures = 0;
    while (!stopping) {
      try {
        if (inHand.size >= config.concurrency) {
          await Promise.race(inHand);
          continue;
        }
        if (sweepIntervalMs > 0 && Date.now() >= nextSweepAt) await sweep();
        const { taken, nextDueInMs } = await takeWithoutWaiting(config.concurrency - inHand.size);
        // Something was taken (and, one at a time, handled): look again at once, a backlog is likely.
        if (taken > 0) {
          failures = 0;
          continue;
        }
        let waitMs = config.blockMs;
        if (nextDueInMs >= 0) waitMs = Math.min(waitMs, Math.max(1, nextDueInMs));
        if (sweepIntervalMs > 0) waitMs = Math.min(waitMs, Math.max(1, nextSweepAt - Date.now()));
        if (stopping) break;
        waitingForItem = true;
        const id = await (blocking as RedisClient).sendCommand<string | null>([
          'BLMOVE', keys.pending, processing, 'RIGHT', 'LEFT', (waitMs / 1000).toFixed(3),
        ]);
        waitingForItem = false;
        if (id !== null && id !== undefined) await dispatch(() => handleMoved(id));
        failures = 0;
      } catch (caught) {
        waitingForItem = false;
        if (stopping) break;
        report({ kind: 'loop-error', error: asError(caught) });
        failures++;
        await sleep(backoffDelay(failures, 50, 2_000));
      }
    }
    await Promise.allSettled(inHand);
  }

  async function beat() {
    await redis.multi().set(keys.heartbeat(workerId), '1', { PX: config.heartbeatTtlMs }).sAdd(keys.workers, workerId).exec();
  }

  return {
    id: workerId,
    async start() {
      if (loop) throw new TributaryError('TRIB_CONSUMER_STATE', 'worker already started');
      const moved = await runLuaScript<number>(redis, queueScripts.register, [keys.heartbeat(workerId), processing, keys.pending, keys.workers], [
        workerId,
        config.heartbeatTtlMs,
      ]).catch((error: unknown) => {
        // To whoever starts it, an id another live worker holds is a configuration error (two processes given one id).
        if (error instanceof TributaryError && error.code === 'TRIB_WORKER_ID_IN_USE') {
          throw new TributaryError('TRIB_INVALID_CONFIG', `worker id ${workerId} is in use by a live worker`, { cause: error });
        }
        throw error;
      });
      if (Number(moved) > 0) report({ kind: 'recovered', count: Number(moved) });
      // BLMOVE blocks its connection; a shared one would stall every other command.
      blocking = redis.duplicate();
      blocking.on('error', (error: Error) => report({ kind: 'loop-error', error }));
      await blocking.connect();
      heartbeat = setInterval(() => {
        beat().catch((error: Error) => report({ kind: 'loop-error', error }));
      }, Math.max(10, Math.floor(config.heartbeatTtlMs / 3)));
      heartbeat.unref();
      loop = run();
    },
    close() {
      if (!loop) return Promise.resolve();
      closing ??= (async () => {
        stopping = true;
        // Safe to cut a BLMOVE short: an item it moved just as we cut it is
        // in our processing list, which the recovery below gives back.
        if (waitingForItem) blocking?.destroy();
        const deadline = setTimeout(() => abort.abort(), config.shutdownTimeoutMs);
        let giveUp: NodeJS.Timeout | undefined;
        await Promise.race([loop, new Promise((resolve) => { giveUp = setTimeout(resolve, config.shutdownTimeoutMs + 1_000); })]);
        clearTimeout(deadline);
        clearTimeout(giveUp);
        if (heartbeat) clearInterval(heartbeat);
        // Anything still in hand (a handler that ignored the abort) goes back to pending.
        await runLuaScript(redis, queueScripts.recover, [keys.heartbeat(workerId), processing, keys.pending, keys.workers], [workerId, '1']);
        if (blocking?.isOpen) await blocking.close().catch(() => blocking?.destroy());
      })();
      return closing;
    },
  };
}
