/**
 * Every Redis key of the fulfillment store is built here and nowhere else
 * (BullMQ's `queue-keys.ts`). All live in the service's own store Redis, never
 * on the bus.
 */
export const SERVICE = 'fulfillment';
const PREFIX = `${SERVICE}:`;

export const fulfillmentKeys = {
  /** Hash: `stock` (integer), `banned` (JSON array of ISO country codes), `digital` ('1' or '0'; absent = '0'). */
  product: (productId: string): string => `${PREFIX}product:${productId}`,
  /** String: the stored outcome of an event a group already handled (with a TTL). */
  handled: (group: string, eventId: string): string => `${PREFIX}handled:${group}:${eventId}`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery or replay window. */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;
