import type { Publisher } from 'tributary';
import type { Logger } from 'tributary/service';
import { periodicJob } from 'tributary/telemetry';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeliveryStore } from '../store/deliveries.ts';
import type { FleetStore } from '../store/fleet.ts';
import { markSent, publishSteps, type UnsentStep } from './status-events.ts';

export interface WatchdogOptions {
  /** A delivery in flight not heard from for this long fails with DRONE_LOST (DELIVERY_SILENCE_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * A delivery with no reading yet waits in the simulator's queue for a free
   * drone: not silence. Past this it fails with NO_DRONE_AVAILABLE
   * (DELIVERY_DRONE_WAIT_TIMEOUT_MS, default 10 minutes).
   */
  waitingTimeoutMs: number;
  /** How often the watchdog looks (DELIVERY_WATCHDOG_INTERVAL_MS). */
  intervalMs: number;
  /** Deliveries judged per run at most (DELIVERY_WATCHDOG_BATCH); the rest wait for the next run, which comes sooner. */
  batchSize: number;
  /**
   * A delivery a run took but did not settle (the process died, or judging
   * it failed) is taken again after this long.
   */
  leaseMs: number;
  /**
   * Wait before the first round after start. After an outage, readings wait
   * in the stream while the consumers catch up; judging silence before they
   * had a chance would fail drones that were talking all along. Defaults to
   * `timeoutMs`.
   */
  startDelayMs?: number;
}

export const watchdogDefaults: WatchdogOptions = { timeoutMs: 60_000, waitingTimeoutMs: 600_000, intervalMs: 5_000, batchSize: 200, leaseMs: 30_000 };

/** One run: `due` deadlines had passed, `judged` were taken and decided, `failed` of them failed now. */
export interface WatchdogRun {
  due: number;
  judged: number;
  failed: number;
}

export interface SilenceWatchdog {
  /** One run at `nowMs`. */
  runOnce(nowMs?: number): Promise<WatchdogRun>;
  start(): void;
  close(): Promise<void>;
}

/** When a run took a full batch, the next one follows after this rather than a whole interval: a backlog drains, bounded per run. */
const CATCH_UP_DELAY_MS = 100;

/**
 * Judges each delivery in flight once per deadline (see `domain/deadline.ts`):
 * a run takes only the deliveries whose deadline passed (the oldest of every
 * fleet shard, claimed with `claimDue-1.lua`, at most `batchSize`), and each
 * verdict moves the delivery on: out of the index once it failed or ended,
 * or to its next deadline once heard from. An idle run is one count per
 * fleet shard (one pipeline), whatever the index holds.
 *
 * Several instances may run it at once: the claim hands each delivery to one
 * of them, the verdict script decides on the hash (first terminal status
 * wins), and the events carry derived ids. It also repairs what a crash left
 * behind: a finished delivery still in the index has its unsent steps
 * published and leaves the index. A run is one span and one set of metrics;
 * nothing per delivery.
 */
export function createSilenceWatchdog(deps: {
  deliveries: DeliveryStore;
  fleet: FleetStore;
  publisher: Publisher;
  logger: Logger;
  options: WatchdogOptions;
  registry?: Registry;
}): SilenceWatchdog {
  const { deliveries, fleet, publisher, logger, options } = deps;
  const meter = periodicJob('delivery-watchdog', deps.registry ? { registry: deps.registry } : {});
  const registers = deps.registry ? [deps.registry] : [];
  const dueGauge = new Gauge({ name: 'delivery_watchdog_due', help: 'Deadlines passed at the watchdog\'s last run (judged then, or in the runs that follow)', registers });
  const failedCounter = new Counter({ name: 'delivery_watchdog_failed_total', help: 'Deliveries the watchdog failed, by reason', labelNames: ['reason'], registers });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopping = false;

  async function judge(ids: string[], nowMs: number): Promise<number> {
    const verdicts = await Promise.all(ids.map((id) => deliveries.failIfSilent(id, nowMs - options.timeoutMs, new Date(nowMs), 'DRONE_LOST', nowMs - options.waitingTimeoutMs)));
    // Failed now, or finished earlier by a handler that crashed before publishing: what is unsent goes out.
    const unsent: UnsentStep[] = verdicts.flatMap((verdict, index) => {
      if (verdict.outcome === 'unknown') return [];
      const { snapshot } = verdict;
      return verdict.unsent.map((step) => ({
        deliveryId: ids[index] as string,
        state: snapshot,
        step,
        details: step.status === 'CREATED' ? {} : { droneId: snapshot.droneId, position: snapshot.position },
      }));
    });
    const sent = await publishSteps(publisher, unsent);
    // The index moves last: a crash before this leaves the lease, and the delivery is judged again after it.
    await Promise.all([
      ...markSent(deliveries, sent),
      ...verdicts.map((verdict, index) => fleet.sync(ids[index] as string, verdict.outcome === 'unknown' ? null : verdict.snapshot)),
    ]);
    let failed = 0;
    for (const verdict of verdicts) {
      if (verdict.outcome !== 'failed') continue;
      failed++;
      failedCounter.inc({ reason: verdict.snapshot.reason ?? 'UNKNOWN' });
    }
    return failed;
  }

  function runOnce(nowMs = Date.now()): Promise<WatchdogRun> {
    return meter.run(async (run) => {
      const { due, ids } = await fleet.takeDue(nowMs, options.batchSize, nowMs + options.leaseMs);
      dueGauge.set(due);
      run.note('due', due);
      const failed = ids.length === 0 ? 0 : await judge(ids, nowMs);
      run.items(ids.length);
      run.note('failed', failed);
      return { due, judged: ids.length, failed };
    });
  }

  function schedule(delayMs: number) {
    if (stopping) return;
    timer = setTimeout(() => {
      let next = options.intervalMs;
      running = runOnce()
        .then((result) => {
          if (result.failed > 0) logger.info(result, 'watchdog failed deliveries (DRONE_LOST, NO_DRONE_AVAILABLE)');
          if (result.judged === options.batchSize) next = Math.min(options.intervalMs, CATCH_UP_DELAY_MS);
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'silence watchdog failed; will retry'))
        .finally(() => {
          running = null;
          schedule(next);
        });
    }, delayMs);
  }

  return {
    runOnce,
    start() {
      if (timer === null && running === null) schedule(options.startDelayMs ?? options.timeoutMs);
    },
    async close() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
