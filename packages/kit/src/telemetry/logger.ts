import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentCorrelationId } from './correlation.ts';

/** Keys whose values are secrets or may carry one (connection strings), wherever they appear up to two levels down. */
const SECRET_KEYS = [
  'password',
  'url',
  'apiKey',
  'adminApiKey',
  'internalKey',
  'busRedisUrl',
  'storeRedisUrl',
  'databaseUrl',
  'connectionString',
  'authorization',
  'cookie',
  '"x-api-key"',
  '"x-internal-key"',
  '"set-cookie"',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const path = key.startsWith('"') ? `[${key}]` : `.${key}`;
  return [path.startsWith('.') ? key : path, `*${path}`, `*.*${path}`];
});

/** `scheme://user:secret@host` anywhere in a line, e.g. in an error message a library wrote. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"]*):[^\s@/"]+@/gi;

/** The last line of defence: no log line leaves the process with a URL's password in it. */
export function scrubCredentials(line: string): string {
  return line.replace(URL_CREDENTIALS, '$1:[redacted]@');
}

/**
 * Structured JSON logs. Secret-bearing keys are redacted by path, and every
 * line is scrubbed of URL credentials before it is written, whatever logged
 * them. A line logged inside a traced span carries its trace and span ids,
 * and one logged by an event handler the event's correlation id, so logs,
 * traces and an order's timeline meet.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    mixin() {
      const correlationId = currentCorrelationId();
      const span = trace.getSpan(context.active());
      const ids = span ? { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId } : {};
      return correlationId === undefined ? ids : { ...ids, correlationId };
    },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrubCredentials },
  };
  const logFd = Number(process.env.TRIBUTARY_LOG_FD);
  // A service thread of the launcher's service host has no stdout of its own: the host opens its log file and names the descriptor.
  const target = destination ?? (Number.isSafeInteger(logFd) && logFd > 2 ? pino.destination({ fd: logFd, sync: true }) : undefined);
  return target ? pino(options, target) : pino(options);
}

export type { Logger };
