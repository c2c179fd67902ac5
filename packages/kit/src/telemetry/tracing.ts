import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { SpanRing } from './span-ring.ts';

export { SpanKind };

const TRACER_NAME = 'tributary';

export interface Tracing {
  /** The last finished spans of this process, for `/traces` and the dashboard. */
  ring: SpanRing;
  /** Flushes the OTLP exporter, if any. */
  shutdown(): Promise<void>;
}

let installed: { tracing: Tracing; provider: BasicTracerProvider } | null = null;

/**
 * Starts tracing for this process, once: spans go to a small in-memory ring
 * (always, so the dashboard can show a trace without a collector) and, when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set, by OTLP
 * over HTTP, which reads its standard variables itself. Without this call the
 * OpenTelemetry API is a no-op and events carry the kit's own traceparents.
 */
export function initTracing(options: { service: string; ringSize?: number; env?: NodeJS.ProcessEnv }): Tracing {
  if (installed) return installed.tracing;
  const env = options.env ?? process.env;
  const ring = new SpanRing(options.ringSize ?? Number(env.TRIBUTARY_TRACE_BUFFER ?? 2_000));
  const spanProcessors: SpanProcessor[] = [new SimpleSpanProcessor(ring)];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracing: Tracing = {
    ring,
    async shutdown() {
      await provider.forceFlush();
    },
  };
  installed = { tracing, provider };
  return tracing;
}

/** This process's tracing, or null when `initTracing` was not called. */
export function currentTracing(): Tracing | null {
  return installed?.tracing ?? null;
}

/** The W3C traceparent of the active span, when tracing is on and a span is active. */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span || !span.spanContext().traceId || !span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Headers that carry the active trace to another service over HTTP. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** A context whose parent is the span a traceparent names (an event's, say). */
export function contextFromTraceparent(traceparent: string): Context {
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * Runs `fn` in a new active span (child of `parent`, else of the active
 * span), ending it and recording a thrown error as the span's status.
 */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** True when spans are being recorded (tracing initialised): lets hot paths skip span bookkeeping. */
export function tracingEnabled(): boolean {
  return installed !== null;
}
