/**
 * Every Redis key of the order-monitoring read model is built here and nowhere
 * else. All live in the service's own store Redis, never on the bus.
 */
export const SERVICE = 'order-monitoring';
const PREFIX = `${SERVICE}:`;

export const monitoringKeys = {
  /** Hash: failure reason → number of orders that ended with it. */
  failures: (): string => `${PREFIX}failures`,
  /** List, newest first, capped: JSON {orderId, reason, at}. */
  recentFailures: (): string => `${PREFIX}recent-failures`,
  /** String: marks an event a group already counted (with a TTL). */
  handled: (group: string, eventId: string): string => `${PREFIX}handled:${group}:${eventId}`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery or replay window. */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;
