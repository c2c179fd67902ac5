import { context, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Known secret-bearing keys are redacted; connection
 * strings must go through `redactUrl` before they are logged. A line logged
 * inside a traced span carries its trace and span ids, so logs and traces
 * meet.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },
    redact: {
      paths: ['password', '*.password', 'url', '*.url', 'headers.authorization', 'headers["x-api-key"]', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
