/**
 * Every key the streams capability uses is built here and nowhere else.
 * A service writes only to its own stream, `<service>:events`.
 */
export const streamKeys = {
  events: (service: string): string => `${service}:events`,
  /**
   * `{<stream>}:dlq`: the braces make Redis Cluster hash only the stream's
   * name, so the dead letters share the stream's slot (the stream's own name
   * has no braces, so its slot is that of the whole name), and moving an
   * entry there and acking it stays one MULTI on a cluster too.
   */
  deadLetters: (stream: string): string => `{${stream}}:dlq`,
  /** Where dead letters were kept before Cluster support; `adoptLegacyDeadLetters` moves them. */
  legacyDeadLetters: (stream: string): string => `${stream}:dlq`,
} as const;
