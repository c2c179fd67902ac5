import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Known secret-bearing keys are redacted; connection
 * strings must go through `redactUrl` before they are logged.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'url', '*.url', 'headers.authorization', 'headers["x-api-key"]', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
