/**
 * The shipping rules, as pure functions. The store runs the same rules in
 * Redis, atomic with the stock decrement per product (store/stock-store.ts);
 * `decideShipment` is the reference model the store is property-tested against.
 */

export const SHIPMENT_FAILURES = ['SHIPMENT_FAILED_BANNED_PRODUCT', 'SHIPMENT_FAILED_OUT_OF_STOCK'] as const;
export type ShipmentFailure = (typeof SHIPMENT_FAILURES)[number];

/**
 * What happened to an order; stored with the dedup key so a redelivery gets
 * the same answer. A shipped order lists its digital products (none were
 * shipped: mailing sends them), in order of first appearance.
 */
export type ShipmentOutcome = { outcome: 'SHIPPED'; digitalProductIds: string[] } | { outcome: ShipmentFailure; productIds: string[] };

/**
 * What the ship script can answer: an outcome, or "some product is not known
 * yet" (its ProductCreated may still be on its way), which is never stored.
 */
export type ShipReply = ShipmentOutcome | { outcome: 'UNKNOWN_PRODUCT'; productIds: string[] };

export interface OrderLine {
  productId: string;
  quantity: number;
}

export interface ProductStock {
  /** Ignored for a digital product. */
  stock: number;
  bannedCountries: readonly string[];
  /** An e-book and the like: no stock is checked or taken, but bans still apply. */
  digital: boolean;
}

/**
 * One line per product, quantities summed, in order of first appearance. The
 * script needs distinct keys (a product listed twice must be checked against
 * its total), and a stable order keeps failure lists deterministic.
 */
export function mergeLines(items: readonly OrderLine[]): OrderLine[] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * The lines that physically ship: every merged line whose product is not in
 * the order's digital list. Computed from the stored outcome, so a redelivery
 * answers the same list even if a product's flag changed since.
 */
export function physicalLines(lines: readonly OrderLine[], digitalProductIds: readonly string[]): OrderLine[] {
  const digital = new Set(digitalProductIds);
  return lines.filter((line) => !digital.has(line.productId));
}

/**
 * The rules in their order of precedence: unknown product (retry later) >
 * banned in the destination country (digital products too) > not enough
 * stock (physical products only) > ship everything. Returns the stock after
 * the decision (changed only when shipped, and never for digital products).
 */
export function decideShipment(
  products: ReadonlyMap<string, ProductStock>,
  country: string,
  items: readonly OrderLine[],
): { reply: ShipReply; stockAfter: Map<string, number> } {
  const lines = mergeLines(items);
  const stockAfter = new Map([...products].map(([id, product]) => [id, product.stock]));
  const unknown = lines.filter((line) => !products.has(line.productId)).map((line) => line.productId);
  if (unknown.length > 0) return { reply: { outcome: 'UNKNOWN_PRODUCT', productIds: unknown }, stockAfter };
  const known = lines.map((line) => ({ ...line, product: products.get(line.productId) as ProductStock }));
  const banned = known.filter((line) => line.product.bannedCountries.includes(country)).map((line) => line.productId);
  if (banned.length > 0) return { reply: { outcome: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: banned }, stockAfter };
  const physical = known.filter((line) => !line.product.digital);
  const short = physical.filter((line) => line.product.stock < line.quantity).map((line) => line.productId);
  if (short.length > 0) return { reply: { outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: short }, stockAfter };
  for (const line of physical) stockAfter.set(line.productId, line.product.stock - line.quantity);
  const digitalProductIds = known.filter((line) => line.product.digital).map((line) => line.productId);
  return { reply: { outcome: 'SHIPPED', digitalProductIds }, stockAfter };
}

/** Parses the script's JSON reply; anything unexpected is a bug worth a loud error. */
export function parseShipReply(raw: unknown): ShipReply {
  if (typeof raw !== 'string') throw new Error(`ship script replied with ${typeof raw}, expected a JSON string`);
  const value = JSON.parse(raw) as { outcome?: unknown; productIds?: unknown; digitalProductIds?: unknown };
  const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : []);
  // Outcomes stored before digital products existed have no list: none.
  if (value.outcome === 'SHIPPED') return { outcome: 'SHIPPED', digitalProductIds: strings(value.digitalProductIds) };
  const productIds = strings(value.productIds);
  if (productIds.length === 0) throw new Error(`ship script replied with a failure without products: ${raw}`);
  if (value.outcome === 'UNKNOWN_PRODUCT') return { outcome: 'UNKNOWN_PRODUCT', productIds };
  const failure = SHIPMENT_FAILURES.find((reason) => reason === value.outcome);
  if (!failure) throw new Error(`ship script replied with an unknown outcome: ${raw}`);
  return { outcome: failure, productIds };
}
