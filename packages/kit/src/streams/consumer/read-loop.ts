import type { RedisClient } from '../../redis/client.ts';
import { isRedisError } from '../../redis/reply-errors.ts';
import { backoffDelay } from '../backoff.ts';
import { ensureGroup, xackArgs, xreadgroup, type RawEntry } from '../commands.ts';
import { claimDueRetries, claimIdleEntries, deliveryCounts, type ClaimTarget } from './claims.ts';
import type { RetrySchedule } from './middleware/retry.ts';
import type { Router } from './router.ts';
import type { PeriodicJobMeter } from '../../telemetry/periodic.ts';

export interface ReadLoopOptions {
  /** The consumer's own connection: XREADGROUP BLOCK would stall every other command on a shared one. */
  redis: RedisClient;
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
  blockMs: number;
  /** A pause after a read that found fewer entries than batchSize (ConsumerOptions.lingerMs). */
  lingerMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  startFrom: '0' | '$';
  router: Router;
  schedule: RetrySchedule;
  onClaimed(count: number): void;
  /** Run time and entries of each retry round and each claim round (their handling included: each entry keeps its own span). */
  retryMeter: PeriodicJobMeter;
  claimMeter: PeriodicJobMeter;
  onLoopError(error: Error): void;
  stopping(): boolean;
}

/**
 * The consumer's loop: first its own pending entries (those it read before a
 * crash), then, round after round, retries whose backoff is over, entries
 * idle on dead consumers (XAUTOCLAIM, every `claimIntervalMs`), and new
 * entries (XREADGROUP `>`). Each read is routed and acked with one XACK,
 * sent with the next read; an XACK that failed is sent again before the
 * next read.
 */
export async function runReadLoop(options: ReadLoopOptions): Promise<void> {
  const { redis, stream, group, consumer, batchSize, router, schedule, stopping } = options;
  const target: ClaimTarget = { redis, stream, group, consumer, batchSize };
  let nextClaimAt = 0;

  // Entries handled whose XACK did not get through (the connection dropped with it in flight, as in a
  // Redis restart or failover; the server refused it): acked again before the next read, not handled
  // again. Left alone they would stay pending on this live consumer until claimIdleMs.
  let unacked: string[] = [];
  // The XACK is sent, not waited for: node-redis writes what was sent within
  // one turn of the event loop together, so the ack and the next XREADGROUP
  // leave in one write and Redis answers both in one pass (with
  // `appendfsync always`, after one fsync). The connection answers in
  // order: once any later command has its reply, so has the ack.
  let ackInFlight: Promise<void> = Promise.resolve();
  let ackError: Error | null = null;
  function ack(ids: string[]) {
    ackInFlight = redis.sendCommand(xackArgs(stream, group, ids)).then(
      () => undefined,
      (error: unknown) => {
        unacked = unacked.concat(ids);
        ackError ??= error instanceof Error ? error : new Error(String(error));
      },
    );
  }
  /** Waits for the last XACK sent, and throws what the last failed one threw (its ids are in `unacked`). */
  async function settleAcks() {
    await ackInFlight;
    const error = ackError;
    ackError = null;
    if (error) throw error;
  }

  async function handle(entries: RawEntry[], countsKnown: boolean) {
    if (entries.length === 0) return;
    // New entries (`>`) are on their first delivery; anything read again asks Redis how often it was delivered.
    const counts = countsKnown ? null : await deliveryCounts(target, entries, schedule.size + batchSize);
    const acks: string[] = [];
    try {
      await router.dispatch(entries, counts, acks);
    } finally {
      if (acks.length > 0) ack(acks);
    }
  }

  async function drainOwnPending() {
    let cursor = '0';
    while (!stopping()) {
      const entries = await xreadgroup(redis, { stream, group, consumer, id: cursor, count: batchSize });
      if (entries.length === 0) return;
      await handle(entries, false);
      cursor = (entries[entries.length - 1] as RawEntry)[0];
    }
  }

  // Where the next claim round starts in the pending list: each round goes
  // on from where the last one stopped, so a long list of entries that are
  // not idle yet is walked once per cycle, not rescanned from 0-0 each time.
  let claimCursor = '0-0';
  async function claimIdle() {
    nextClaimAt = Date.now() + options.claimIntervalMs;
    await options.claimMeter.measure(async (run) => {
      claimCursor = await claimIdleEntries(target, options.claimIdleMs, claimCursor, async (entries) => {
        options.onClaimed(entries.length);
        run.items(entries.length);
        await handle(entries, false);
      }, stopping);
    });
  }

  async function retryDue() {
    await options.retryMeter.measure(async (run) => {
      const entries = await claimDueRetries(target, schedule);
      run.items(entries.length);
      await handle(entries, false);
    });
  }

  const nextWakeIn = () => Math.max(1, Math.min(options.blockMs, Math.max(0, nextClaimAt - Date.now()), schedule.nextDueIn()));

  let failures = 0;
  let drained = false;
  while (!stopping()) {
    try {
      if (!drained) {
        await ensureGroup(redis, stream, group, options.startFrom);
        await drainOwnPending();
        drained = true;
      }
      if (ackError) await settleAcks();
      if (unacked.length > 0) {
        const ids = unacked;
        unacked = [];
        ack(ids);
        await settleAcks();
      }
      if (schedule.size > 0 && schedule.nextDueIn() === 0) await retryDue();
      if (Date.now() >= nextClaimAt) await claimIdle();
      if (stopping()) break;
      const entries = await xreadgroup(redis, { stream, group, consumer, id: '>', count: batchSize, blockMs: nextWakeIn() });
      await handle(entries, true);
      failures = 0;
      // Entries kept coming but did not fill the read: let the next ones gather.
      if (options.lingerMs > 0 && entries.length > 0 && entries.length < batchSize && !stopping()) {
        await new Promise((resolve) => setTimeout(resolve, options.lingerMs));
      }
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      // NOGROUP: the stream or group vanished (e.g. a Redis without persistence restarted).
      // Its pending list went with it: nothing is left to ack.
      if (isRedisError(error, 'NOGROUP')) {
        drained = false;
        unacked = [];
        ackError = null;
      }
      options.onLoopError(error);
      failures++;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures, 50, 2_000)));
    }
  }
  // The last read's ack has its reply before the loop ends: whoever stops the
  // consumer closes its connection next, and an ack still queued would be lost.
  await settleAcks().catch((error: Error) => options.onLoopError(error));
}
