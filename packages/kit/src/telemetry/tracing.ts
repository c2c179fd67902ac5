import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { sampleNewTrace, setSampleRatio } from './sampling.ts';
import { SpanRing } from './span-ring.ts';
import { TributaryError } from '../errors.ts';

export { SpanKind };

const TRACER_NAME = 'tributary';

/**
 * The share of traces recorded when `TRIBUTARY_TRACE_SAMPLE_RATIO` is not
 * set. One in ten keeps a trace of about every tenth order for the dashboard
 * and costs, at saturation, a tenth of recording them all (see
 * docs/kit/telemetry.md for the measurements).
 */
export const DEFAULT_SAMPLE_RATIO = 0.1;

/**
 * New traces recorded per second at most, per process, when
 * `TRIBUTARY_TRACE_MAX_PER_SECOND` is not set: at a few orders a second every
 * sampled one is kept, at saturation recording stays a few traces a second
 * (a tenth of a hundred orders a second cost a seventh of the system's CPU).
 */
export const DEFAULT_MAX_TRACES_PER_SECOND = 2;

/** Parses the cap on new traces per second: a number ≥ 0, 0 for no cap. */
export function parseMaxTracesPerSecond(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_TRACES_PER_SECOND;
  const perSecond = Number(text);
  if (!Number.isFinite(perSecond) || perSecond < 0) {
    throw new TributaryError('TRIB_INVALID_CONFIG', `TRIBUTARY_TRACE_MAX_PER_SECOND must be a number ≥ 0 (0: no cap), got "${text}"`);
  }
  return perSecond;
}

/** Where a trace starts, the kit's decision (ratio and cap, `sampleNewTrace`) for OpenTelemetry's spans too. */
const rootSampler: Sampler = {
  shouldSample: () => ({ decision: sampleNewTrace() ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD }),
  toString: () => 'TributaryRootSampler',
};

/** Parses the sample ratio setting: a number from 0 to 1. */
export function parseSampleRatio(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_SAMPLE_RATIO;
  const ratio = Number(text);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TributaryError('TRIB_INVALID_CONFIG', `TRIBUTARY_TRACE_SAMPLE_RATIO must be a number from 0 to 1, got "${text}"`);
  }
  return ratio;
}

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
export function initTracing(options: { service: string; ringSize?: number; env?: NodeJS.ProcessEnv; sampleRatio?: number; maxTracesPerSecond?: number }): Tracing {
  if (installed) return installed.tracing;
  const env = options.env ?? process.env;
  // Head sampling, parent-based: a trace's first span decides (ratio), every
  // later one follows the sampled flag its parent carries, across services.
  const ratio = options.sampleRatio ?? parseSampleRatio(env.TRIBUTARY_TRACE_SAMPLE_RATIO);
  if (!(ratio >= 0 && ratio <= 1)) throw new TributaryError('TRIB_INVALID_CONFIG', `sampleRatio must be from 0 to 1, got ${ratio}`);
  setSampleRatio(ratio, options.maxTracesPerSecond ?? parseMaxTracesPerSecond(env.TRIBUTARY_TRACE_MAX_PER_SECOND));
  const ring = new SpanRing(options.ringSize ?? Number(env.TRIBUTARY_TRACE_BUFFER ?? 2_000));
  const spanProcessors: SpanProcessor[] = [ring];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }),
    sampler: new ParentBasedSampler({ root: rootSampler }),
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

/**
 * The W3C traceparent of the active span, when tracing is on and a span is
 * active. In a trace that is not sampled this names the nearest span that
 * exists (the remote parent) with the flag off, so what it causes downstream
 * is not sampled either.
 */
export function activeTraceparent(): string | undefined {
  if (!installed) return undefined;
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** Headers that carry the active trace to another service over HTTP. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A context whose parent is the span a traceparent names (an event's, say); the root context when it names none. */
export function contextFromTraceparent(traceparent: string): Context {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return ROOT_CONTEXT;
  const spanContext = { traceId: match[1] as string, spanId: match[2] as string, traceFlags: parseInt(match[3] as string, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/**
 * Runs `fn(...args)` with a traceparent's span as the active parent, without
 * a span of its own: how a handler of a trace that is not sampled keeps the
 * trace (and its "not sampled" flag) for what it publishes or calls.
 */
export function withTraceparent<A extends unknown[], T>(traceparent: string, fn: (...args: A) => T, ...args: A): T {
  return context.with(contextFromTraceparent(traceparent), fn, undefined, ...args);
}

/** Handed to `fn` when a span is not recorded: every method is a no-op. */
const UNRECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `fn` in a new active span (child of `parent`, else of the active
 * span), ending it and recording a thrown error as the span's status. In a
 * trace that is not sampled no span is made at all: `fn` gets a no-op span
 * and runs under its parent's context.
 */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const parentSpan = trace.getSpan(parent);
  if (!installed || (parentSpan && !(parentSpan.spanContext().traceFlags & TraceFlags.SAMPLED))) {
    return parent === context.active() ? fn(UNRECORDED) : context.with(parent, fn, undefined, UNRECORDED);
  }
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent, async (span) => {
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

/** True when tracing is initialised: lets hot paths skip span bookkeeping. */
export function tracingEnabled(): boolean {
  return installed !== null;
}

/** True when what runs now belongs to a recorded trace, or would start one that is: worth building a span's attributes for. */
export function activeTraceSampled(): boolean {
  if (!installed) return false;
  const span = trace.getSpan(context.active());
  return span ? (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED : true;
}
