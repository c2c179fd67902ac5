import { withCorrelation } from '../../../telemetry/correlation.ts';
import type { Middleware } from '../pipeline.ts';

/** Runs the handler with its event's correlation id in scope: every line it logs carries it. */
export const correlate: Middleware = (next) => (delivery) => withCorrelation(delivery.event.correlationId, next, delivery);
