import { backoffDelay } from '../../backoff.ts';
import { asError, settleBatch, type BatchMiddleware, type Delivery, type Middleware, type Outcome } from '../pipeline.ts';

export interface RetryPolicy {
  /** Deliveries before an entry goes to the dead-letter stream. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Entries that failed and wait for their backoff, still pending on this
 * consumer. They are not re-added to the stream: when one is due the
 * consumer XCLAIMs it (see claims.ts), so Redis counts the redelivery and
 * the attempt count survives a crash.
 */
export class RetrySchedule {
  private readonly waiting = new Map<string, { at: number; delayMs: number }>();

  get size(): number {
    return this.waiting.size;
  }

  add(entryId: string, delayMs: number): void {
    this.waiting.set(entryId, { at: Date.now() + delayMs, delayMs });
  }

  /** The entry is being handled again (read, claimed): its schedule no longer applies. */
  forget(entryId: string): void {
    if (this.waiting.size > 0) this.waiting.delete(entryId);
  }

  /** Removes and returns the entries whose backoff is over. */
  takeDue(now = Date.now()): Array<{ entryId: string; delayMs: number }> {
    const due: Array<{ entryId: string; delayMs: number }> = [];
    for (const [entryId, retry] of this.waiting) {
      if (retry.at <= now) due.push({ entryId, delayMs: retry.delayMs });
    }
    for (const { entryId } of due) this.waiting.delete(entryId);
    return due;
  }

  /** Milliseconds until the next retry is due (Infinity when none waits). */
  nextDueIn(now = Date.now()): number {
    let wait = Infinity;
    for (const { at } of this.waiting.values()) wait = Math.min(wait, Math.max(0, at - now));
    return wait;
  }
}

export type RetryReport = (delivery: Delivery, delayMs: number, error: Error) => void;

/** Schedules a retry unless this was the last attempt; true when scheduled. */
function scheduleRetry(policy: RetryPolicy, schedule: RetrySchedule, report: RetryReport, delivery: Delivery, error: Error): boolean {
  if (delivery.deliveryCount >= policy.maxAttempts) return false;
  const delayMs = backoffDelay(delivery.deliveryCount, policy.backoffBaseMs, policy.backoffMaxMs);
  schedule.add(delivery.entryId, delayMs);
  report(delivery, delayMs, error);
  return true;
}

/** What becomes of a delivery whose last attempt failed (the dead-letter middleware's `deadLetterFailed`). */
export type Exhausted = (delivery: Delivery, caught: unknown) => Promise<Outcome>;

/**
 * A failed attempt is retried after a backoff; the last one's error goes to
 * `exhausted`. Called from the same rejection handler rather than through a
 * middleware of its own around this one: one promise per event fewer on the
 * bus's hot path.
 */
export function retry(policy: RetryPolicy, schedule: RetrySchedule, report: RetryReport, exhausted: Exhausted): Middleware {
  const failed = (delivery: Delivery, caught: unknown): 'retry' | Promise<Outcome> =>
    scheduleRetry(policy, schedule, report, delivery, asError(caught)) ? 'retry' : exhausted(delivery, caught);
  return (next) => (delivery) => {
    // `.then` rather than an async function with await: one promise per event instead of two (the bus's
    // hot path); the rejection handler is an unnamed arrow, as a named one is renamed per call under tsx.
    try {
      return next(delivery).then(undefined, (caught: unknown) => failed(delivery, caught));
    } catch (caught) {
      return Promise.resolve().then(() => failed(delivery, caught));
    }
  };
}

/**
 * The same per event of a batch: each failed one is retried on its own
 * schedule (and reaches its handler alone, see the router). A batch that
 * threw failed as a whole, since we cannot tell which event broke it.
 */
export function retryBatch(policy: RetryPolicy, schedule: RetrySchedule, report: RetryReport): BatchMiddleware {
  return (next) => async (deliveries) => {
    const results = await settleBatch(next, deliveries);
    if (!results) return results;
    for (let i = 0; i < deliveries.length; i++) {
      const result = results[i];
      if (result instanceof Error && scheduleRetry(policy, schedule, report, deliveries[i] as Delivery, result)) results[i] = 'retry';
    }
    return results;
  };
}
