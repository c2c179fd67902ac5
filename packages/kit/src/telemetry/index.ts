export { initTracing, currentTracing, activeTraceparent, traceHeaders, contextFromTraceparent, withSpan, withTraceparent, tracingEnabled, activeTraceSampled, DEFAULT_SAMPLE_RATIO, SpanKind, type Tracing } from './tracing.ts';
export { SpanRing, type SpanRecord } from './span-ring.ts';
export { consumerMetrics } from './consumer-metrics.ts';
export { registerProcessMetrics, THREAD_CPU_METRIC } from './process-metrics.ts';
export { createLogger, type Logger } from './logger.ts';
export { withCorrelation, currentCorrelationId } from './correlation.ts';
export { periodicJob, type PeriodicJobMeter, type PeriodicRunRecorder } from './periodic.ts';
