import type { BatchMiddleware, Middleware } from '../pipeline.ts';

export type HandledReport = (type: string, entryId: string, durationMs: number) => void;

/**
 * Reports each handled event with its duration. Installed only when someone
 * listens (`onReport`): otherwise no clock is read and no report is built.
 */
export function reportHandled(report: HandledReport): Middleware {
  return (next) => (delivery) => {
    const started = performance.now();
    // `.then` rather than await in an async function: one promise per event instead of two.
    return next(delivery).then((outcome) => {
      if (outcome === undefined) report(delivery.event.type, delivery.entryId, performance.now() - started);
      return outcome;
    });
  };
}

/** The same for a batch: each handled event with its share of the call's duration. */
export function reportHandledBatch(report: HandledReport): BatchMiddleware {
  return (next) => async (deliveries) => {
    const started = performance.now();
    const results = await next(deliveries);
    const durationMs = (performance.now() - started) / Math.max(1, deliveries.length);
    deliveries.forEach((delivery, i) => {
      if (!results || results[i] === undefined) report(delivery.event.type, delivery.entryId, durationMs);
    });
    return results;
  };
}
