import { withCorrelation } from '../../../telemetry/correlation.ts';
import { tracingEnabled } from '../../../telemetry/tracing.ts';
import type { Middleware } from '../pipeline.ts';

/**
 * Runs the handler with its event's correlation id in scope: every line it
 * logs carries it. The id rides on the tracing context, so with tracing off
 * there is nothing to set, and the handler is called straight (no argument
 * list per event).
 */
export const correlate: Middleware = (next) => (delivery) =>
  tracingEnabled() ? withCorrelation(delivery.event.correlationId, next, delivery) : next(delivery);
