import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { TributaryError } from '../errors.ts';

/** A finished span as `/traces` serves it: plain JSON, small. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  service: string;
  startedAt: string;
  durationMs: number;
  error: string | null;
  attributes: Record<string, string | number | boolean>;
}

const KINDS: Record<SpanKind, SpanRecord['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/**
 * Keeps the last `capacity` finished spans in memory. Written here because
 * OpenTelemetry's InMemorySpanExporter grows without bound (it is meant for
 * tests); this one is a fixed ring that a dashboard can read while no
 * collector runs. It is a span processor itself (an exporter too, for
 * callers that wrap it in one): `initTracing` adds it directly, because a
 * SimpleSpanProcessor runs each span's export in a context switch of its
 * own, and converting spans to records is left to the rare read.
 */
export class SpanRing implements SpanExporter, SpanProcessor {
  private readonly spans: ReadableSpan[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TributaryError('TRIB_INVALID_CONFIG', `span ring capacity must be a positive integer, got ${capacity}`);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) this.add(span);
    done({ code: ExportResultCode.SUCCESS });
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & 1) this.add(span);
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}

  private add(span: ReadableSpan) {
    if (this.spans.length < this.capacity) this.spans.push(span);
    else this.spans[this.next] = span;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The spans of one trace that this process still holds, oldest first. */
  trace(traceId: string): SpanRecord[] {
    return this.spans
      .filter((span) => span.spanContext().traceId === traceId)
      .map(toRecord)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /** The newest spans, newest first. */
  recent(limit: number): SpanRecord[] {
    return this.spans.map(toRecord).sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
  }
}

function toRecord(span: ReadableSpan): SpanRecord {
  const attributes: SpanRecord['attributes'] = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
  }
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: KINDS[span.kind],
    service: String(span.resource.attributes[ATTR_SERVICE_NAME] ?? 'unknown'),
    startedAt: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    durationMs: Math.round(hrTimeToMilliseconds(span.duration) * 1000) / 1000,
    error: span.status.code === SpanStatusCode.ERROR ? (span.status.message ?? 'error') : null,
    attributes,
  };
}
