/**
 * Every Redis key of the order-monitoring read model is built here and nowhere
 * else. All live in the service's own store Redis, never on the bus.
 */
export const SERVICE = 'order-monitoring';
const PREFIX = `${SERVICE}:`;

/**
 * Redis Cluster: the failure counts, their recent list and the markers of the
 * events counted into them change in one script, so they share one slot: the
 * counts hash's own (a key without braces hashes whole, so the tag
 * `{order-monitoring:failures}` lands where that hash, which kept its name,
 * is). One small aggregate in one slot; the leaderboards (per board) and the
 * orders' lines (per order) spread over the cluster.
 */
const FAILURES = `${PREFIX}failures`;

export const monitoringKeys = {
  /** Hash: failure reason → number of orders that ended with it. */
  failures: (): string => FAILURES,
  /** List, newest first, capped: JSON {orderId, reason, at}. */
  recentFailures: (): string => `${PREFIX}{${FAILURES}}:recent`,
  /** String: marks a failure event a group already counted (with a TTL). */
  handled: (group: string, eventId: string): string => `${PREFIX}{${FAILURES}}:handled:${group}:${eventId}`,
  /** The recent list's name before Cluster support: moved to `recentFailures` at start (failure-store.ts). */
  legacyRecentFailures: (): string => `${PREFIX}recent-failures`,
  /** Hash: `item:<productId>` → units, an order's lines kept from OrderPlaced until it completes (with a TTL). */
  orderLines: (orderId: string): string => `${PREFIX}order-lines:${orderId}`,
  /** Namespace of the kit leaderboards (`<this>:{<board>}:scores`, `:ops`). */
  leaderboards: (): string => `${PREFIX}leaderboard`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery or replay window. */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * How long an order's lines wait for its OrderCompleted. A saga takes seconds;
 * a week covers an order stuck behind an outage, and bounds memory for orders
 * that never complete (they fail, and their lines simply expire).
 */
export const ORDER_LINES_TTL_SECONDS = 7 * 24 * 60 * 60;
