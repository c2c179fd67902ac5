/**
 * Every key the streams capability uses is built here and nowhere else.
 * A service writes only to its own stream, `<service>:events`.
 */
export const streamKeys = {
  events: (service: string): string => `${service}:events`,
  deadLetters: (stream: string): string => `${stream}:dlq`,
} as const;
