/**
 * Every Redis key of the fulfillment store is built here and nowhere else
 * (BullMQ's `queue-keys.ts`). All live in the service's own store Redis, never
 * on the bus.
 *
 * Redis Cluster: each product is its own slot, so a script may touch one
 * product at a time. The keys that go with a product carry the product's key
 * as their hash tag (`fulfillment:{fulfillment:product:<id>}:…`): a key
 * without braces hashes whole, so a tag equal to it lands in the same slot,
 * and the product key itself keeps its name from before Cluster support.
 * An order of several products is shipped in steps (stock-store.ts).
 */
export const SERVICE = 'fulfillment';
const PREFIX = `${SERVICE}:`;

const product = (productId: string): string => `${PREFIX}product:${productId}`;
/** The hash tag of a product's slot. */
const slotOf = (productId: string): string => `${PREFIX}{${product(productId)}}`;

export const fulfillmentKeys = {
  /** Hash: `stock` (integer), `banned` (JSON array of ISO country codes), `digital` ('1' or '0'; absent = '0'). */
  product,
  /** String with a TTL: a ProductCreated a group handled (its reply), in the product's slot. */
  created: (productId: string, group: string, eventId: string): string => `${slotOf(productId)}:created:${group}:${eventId}`,
  /**
   * String with a TTL: the stored outcome of an order event a group decided,
   * in the slot of the order's first product (so a one-product order is
   * decided, taken and recorded by one script).
   */
  outcome: (firstProductId: string, group: string, eventId: string): string => `${slotOf(firstProductId)}:outcome:${group}:${eventId}`,
  /**
   * String with a TTL: `taken` while an order event holds its quantity of the
   * product, `released` once it gave it back (an order of several products
   * that one of them could not fill). In the product's slot.
   */
  hold: (productId: string, group: string, eventId: string): string => `${slotOf(productId)}:hold:${group}:${eventId}`,
  /**
   * The outcome and creation markers of versions before Cluster support:
   * never written now, read while any is left (see stock-store.ts).
   */
  legacyHandled: (group: string, eventId: string): string => `${PREFIX}handled:${group}:${eventId}`,
  legacyHandledPattern: (): string => `${PREFIX}handled:*`,
} as const;

/** How long a handled marker is kept: far longer than any redelivery or replay window. */
export const HANDLED_TTL_SECONDS = 7 * 24 * 60 * 60;
