/**
 * Every Redis key of the basket store is built here and nowhere else. All
 * live in the service's own store Redis, under the prefix `basket:`.
 *
 * The basket itself is the book's Table 2-1 key `usr:<userId>` (a sorted set,
 * score = quantity, member = product id) behind the service prefix. The
 * braces make `usr:<userId>` the Redis Cluster hash tag, so the basket and
 * its pending checkout (which one script touches together) share a slot:
 *
 *   ZADD basket:{usr:123} 2 abc
 */
export const SERVICE = 'basket';
const PREFIX = `${SERVICE}:`;

export const basketKeys = {
  /** Sorted set (Table 2-1): member = product id, score = quantity. Expires after inactivity. */
  basket: (userId: string): string => `${PREFIX}{usr:${userId}}`,
  /** Hash: the pending checkout of a user (`orderId`, `items` JSON, `createdAt` ms). Same slot as the basket. */
  checkout: (userId: string): string => `${PREFIX}{usr:${userId}}:checkout`,
  /**
   * String "1": accounts said this user exists (UserRegistered). No TTL, users
   * are not deleted. Same slot as the user's basket.
   */
  user: (userId: string): string => `${PREFIX}{usr:${userId}}:known`,
  /** Hash: the basket's copy of a product (`name`, `priceCents`, and the stream positions they came from). */
  product: (productId: string): string => `${PREFIX}product:{${productId}}`,
  /** String with a TTL: catalog event `eventId` was applied to this product by `group`. Same slot as the product. */
  productHandled: (productId: string, group: string, eventId: string): string => `${PREFIX}product:{${productId}}:handled:${group}:${eventId}`,
  /**
   * Sorted set: member = user id, score = when (ms) the sweep should look at
   * that user's pending checkout again. Written before the checkout script,
   * so a crash after the script still leaves the sweep a trace to follow.
   */
  checkoutsDue: (): string => `${PREFIX}checkouts:due`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery or replay window. */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;
