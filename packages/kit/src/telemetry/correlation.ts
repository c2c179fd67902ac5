import { context, createContextKey, type Context } from '@opentelemetry/api';
import { tracingEnabled } from './tracing.ts';

/**
 * The business flow (an order id, say) the current work belongs to: set by
 * the consumer around each handler from the event's correlationId, read by
 * the logger so every line a handler logs can be found by order id.
 *
 * It rides on OpenTelemetry's context rather than an AsyncLocalStorage of
 * its own: with tracing on that context is already kept across awaits, so a
 * second store would only double the cost on every promise; with
 * `TRIBUTARY_TRACING=off` there is no async context at all (Node 20's
 * AsyncLocalStorage turns on promise hooks for the whole process, a few percent
 * of the bus benchmark), and a handler's own log lines carry no correlation
 * id. The kit's lines about an event (retries, dead letters) name its entry.
 */
const CORRELATION = createContextKey('tributary.correlationId');

export function withCorrelation<A extends unknown[], T>(correlationId: string, work: (...args: A) => T, ...args: A): T {
  // Without tracing nothing would keep it: not even a context object per event.
  if (!tracingEnabled()) return work(...args);
  // Already in scope (the consumer's tracing middleware put it in the context it switched to): no second switch.
  const active = context.active();
  if (active.getValue(CORRELATION) === correlationId) return work(...args);
  return context.with(active.setValue(CORRELATION, correlationId), work, undefined, ...args);
}

/**
 * `parent` with a correlation id in it, for a caller that switches the
 * active context anyway (the consumer's tracing middleware): one switch per
 * event instead of two, each of which costs a context and an
 * AsyncLocalStorage run.
 */
export function contextWithCorrelation(parent: Context, correlationId: string): Context {
  return parent.setValue(CORRELATION, correlationId);
}

export function currentCorrelationId(): string | undefined {
  const value = context.active().getValue(CORRELATION);
  return typeof value === 'string' ? value : undefined;
}
