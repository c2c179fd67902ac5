import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { contextWithCorrelation } from '../../../telemetry/correlation.ts';
import { contextFromTraceparent, SpanKind, tracingEnabled, withSpan } from '../../../telemetry/tracing.ts';
import { traceparentSampled } from '../../../telemetry/sampling.ts';
import type { BatchMiddleware, Middleware } from '../pipeline.ts';

/**
 * A handler span per event, child of the span that published it: one flow,
 * one trace across services. In a trace that is not sampled no span and no
 * attributes are made; the handler still runs under the event's trace
 * context, so what it publishes or calls carries the "not sampled" flag on.
 * Either way the event's correlation id is in that context already.
 */
export function traceHandler(names: { stream: string; group: string }): Middleware {
  return (next) => (delivery) => {
    if (!tracingEnabled()) return next(delivery);
    const { event } = delivery;
    // The event's correlation id goes into the same context (the correlation middleware then has nothing to switch).
    const parent = contextWithCorrelation(contextFromTraceparent(event.traceparent), event.correlationId);
    if (!traceparentSampled(event.traceparent)) return context.with(parent, next, undefined, delivery);
    return withSpan(
      `handle ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        attributes: {
          'messaging.system': 'redis',
          'messaging.destination.name': names.stream,
          'messaging.consumer.group.name': names.group,
          'messaging.message.id': delivery.entryId,
          'tributary.event.id': event.id,
          'tributary.event.type': event.type,
          'tributary.correlation_id': event.correlationId,
          'tributary.delivery_count': delivery.deliveryCount,
        },
      },
      () => next(delivery),
    );
  };
}

/** A batch has many parents: it is traced as its own root (sampled by ratio), with the count. */
export function traceBatch(names: { stream: string; group: string }): BatchMiddleware {
  return (next) => (deliveries) => {
    if (!tracingEnabled()) return next(deliveries);
    const type = deliveries[0]?.event.type ?? '?';
    return withSpan(
      `handle batch ${type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: ROOT_CONTEXT,
        attributes: {
          'messaging.system': 'redis',
          'messaging.destination.name': names.stream,
          'messaging.consumer.group.name': names.group,
          'messaging.batch.message_count': deliveries.length,
        },
      },
      () => next(deliveries),
    );
  };
}
