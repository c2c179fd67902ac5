import type { Logger } from 'tributary/service';
import { periodicJob } from 'tributary/telemetry';
import type { Registry } from 'prom-client';
import { nextSweepDelay, type SweepTiming } from '../domain/checkout.ts';
import type { BasketStore } from '../store/basket-store.ts';
import type { PublishCheckout } from './publish-checkout.ts';

export interface SweepOptions extends SweepTiming {
  /** How often the sweep looks for due checkouts. */
  intervalMs: number;
  /** Users looked at per round. */
  batchSize?: number;
}

export const sweepDefaults: SweepOptions = { intervalMs: 2_000, afterMs: 5_000, maxDelayMs: 5 * 60_000, batchSize: 100 };

export interface CheckoutSweep {
  /** One round: re-publishes due pending checkouts, forgets users with none; returns how many it published. */
  sweepOnce(nowMs?: number): Promise<number>;
  start(): void;
  close(): Promise<void>;
}

/**
 * Re-publishes pending checkouts that ordering has not answered yet: the
 * ones whose publication a crash cut off, or whose event got lost on the
 * way. Runs at start-up and every `intervalMs`; several instances may sweep
 * at once, which only publishes the same event id twice.
 */
export function createCheckoutSweep(deps: { basket: BasketStore; publish: PublishCheckout; logger: Logger; options: SweepOptions; registry?: Registry }): CheckoutSweep {
  const { basket, publish, logger, options } = deps;
  const meter = periodicJob('basket-checkout-sweep', deps.registry ? { registry: deps.registry } : {});
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopping = false;

  // Costs what is due: the due index (a sorted set by when to look again) is read up to now, at most `batchSize`.
  const sweepOnce = (nowMs = Date.now()): Promise<number> => meter.run(async (run) => {
    const due = await basket.dueCheckouts(nowMs, options.batchSize ?? 100);
    run.items(due.length);
    return republish(due, nowMs);
  });

  async function republish(due: Array<{ userId: string; score: string }>, nowMs: number): Promise<number> {
    let published = 0;
    for (const { userId, score } of due) {
      const pending = await basket.pendingCheckout(userId);
      if (!pending) {
        await basket.forgetDue(userId, score);
        continue;
      }
      await publish(pending);
      published++;
      await basket.markDue(userId, nowMs + nextSweepDelay(nowMs - pending.createdAt, options));
    }
    return published;
  }

  function schedule(delayMs: number) {
    if (stopping) return;
    timer = setTimeout(() => {
      running = sweepOnce()
        .then((count) => { if (count > 0) logger.info({ count }, 're-published pending checkouts'); })
        .catch((error: unknown) => logger.warn({ err: error }, 'checkout sweep failed; will retry'))
        .finally(() => {
          running = null;
          schedule(options.intervalMs);
        });
    }, delayMs);
  }

  return {
    sweepOnce,
    start() {
      if (timer === null && running === null) schedule(0);
    },
    async close() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
