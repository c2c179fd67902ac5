import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { SpanRing } from './span-ring.ts';

// A local provider (not the global one): the ring is exercised through the real SDK.
function tracerWith(ring: SpanRing) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'ring-test' }), spanProcessors: [new SimpleSpanProcessor(ring)] });
  return provider.getTracer('test');
}

it('keeps only the newest spans up to its capacity', () => {
  const ring = new SpanRing(3);
  const tracer = tracerWith(ring);
  for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
  expect(ring.recent(10).map((span) => span.name).sort()).toEqual(['span 2', 'span 3', 'span 4']);
  expect(ring.recent(10)[0]?.service).toBe('ring-test');
});

it('finds the spans of one trace', () => {
  const ring = new SpanRing(10);
  const tracer = tracerWith(ring);
  const root = tracer.startSpan('root');
  root.end();
  tracer.startSpan('other').end();
  const traceId = root.spanContext().traceId;
  expect(ring.trace(traceId).map((span) => span.name)).toEqual(['root']);
});

it('refuses a capacity that is not a positive integer', () => {
  expect(() => new SpanRing(0)).toThrow(/positive integer/);
});
