import type { Publisher } from 'tributary';
import type { Logger } from 'tributary/service';
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
  waitingTimeoutMs?: number;
  /** How often the watchdog looks (DELIVERY_WATCHDOG_INTERVAL_MS). */
  intervalMs: number;
  /** Deliveries judged per script pipeline. */
  batchSize: number;
  /**
   * Wait before the first round after start. After an outage, readings wait
   * in the stream while the consumers catch up; judging silence before they
   * had a chance would fail drones that were talking all along. Defaults to
   * `timeoutMs`.
   */
  startDelayMs?: number;
}

export const watchdogDefaults: WatchdogOptions = { timeoutMs: 60_000, intervalMs: 5_000, batchSize: 200 };

export interface SilenceWatchdog {
  /** One round at `nowMs`: returns how many deliveries it failed. */
  runOnce(nowMs?: number): Promise<number>;
  start(): void;
  close(): Promise<void>;
}

/** Rounds per run at most: a run must end even if the index keeps changing under it. */
const MAX_PAGES = 50;

/**
 * Fails deliveries whose drone went silent. Several instances may run it at
 * once: the script decides each delivery (first terminal status wins), and
 * the events carry derived ids. It also repairs what a crash left behind: a
 * finished delivery still listed in the index has its unsent steps
 * published and leaves the index.
 */
export function createSilenceWatchdog(deps: {
  deliveries: DeliveryStore;
  fleet: FleetStore;
  publisher: Publisher;
  logger: Logger;
  options: WatchdogOptions;
}): SilenceWatchdog {
  const { deliveries, fleet, publisher, logger, options } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopping = false;

  /** How many it failed, and how many are still listed as silent (alive, or waiting for a drone). */
  async function judge(ids: string[], nowMs: number): Promise<{ failed: number; stillListed: number }> {
    const cutoffMs = nowMs - options.timeoutMs;
    const verdicts = await Promise.all(ids.map((id) => deliveries.failIfSilent(id, cutoffMs, new Date(nowMs), 'DRONE_LOST', nowMs - (options.waitingTimeoutMs ?? 600_000))));
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
    await Promise.all([
      ...markSent(deliveries, sent),
      ...verdicts.map((verdict, index) => fleet.sync(ids[index] as string, verdict.outcome === 'unknown' ? null : verdict.snapshot)),
    ]);
    return {
      failed: verdicts.filter((verdict) => verdict.outcome === 'failed').length,
      stillListed: verdicts.filter((verdict) => verdict.outcome === 'heard').length,
    };
  }

  async function runOnce(nowMs = Date.now()): Promise<number> {
    let failed = 0;
    // Deliveries judged and left in the index (waiting for a drone, or heard
    // meanwhile) are skipped, not read again page after page: with hundreds
    // waiting, each round used to judge the same first page up to MAX_PAGES times.
    let offset = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const ids = await fleet.silentSince(nowMs - options.timeoutMs, options.batchSize, offset);
      if (ids.length === 0) break;
      const judged = await judge(ids, nowMs);
      failed += judged.failed;
      offset += judged.stillListed;
      if (ids.length < options.batchSize) break;
    }
    return failed;
  }

  function schedule(delayMs: number) {
    if (stopping) return;
    timer = setTimeout(() => {
      running = runOnce()
        .then((count) => { if (count > 0) logger.info({ count }, 'failed silent deliveries (DRONE_LOST)'); })
        .catch((error: unknown) => logger.warn({ err: error }, 'silence watchdog failed; will retry'))
        .finally(() => {
          running = null;
          schedule(options.intervalMs);
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
