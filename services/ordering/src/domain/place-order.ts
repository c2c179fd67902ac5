import { createHash } from 'node:crypto';
import { Cents } from '@tributary/contracts';
import type { OrderItem } from './order-machine.ts';

/** The largest total an event may carry (the contracts' `Cents` maximum). */
export const MAX_TOTAL_CENTS = Cents.maximum ?? 1_000_000_000_000;

export interface NewOrder {
  userId: string;
  items: OrderItem[];
}

/** What a caller of POST /orders asks for: products and quantities; ordering fills in the prices. */
export interface OrderRequest {
  userId: string;
  items: Array<{ productId: string; quantity: number }>;
}

/** The first product that appears on two lines, or null: one line per product. */
export function duplicateProduct(items: ReadonlyArray<{ productId: string }>): string | null {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.productId)) return item.productId;
    seen.add(item.productId);
  }
  return null;
}

export type PricedRequest = { ok: true; order: NewOrder } | { ok: false; missing: string[] };

/** The request's lines at these prices, or the products that have none. */
export function priceRequest(request: OrderRequest, prices: ReadonlyMap<string, number>): PricedRequest {
  const missing = request.items.filter((item) => !prices.has(item.productId)).map((item) => item.productId);
  if (missing.length > 0) return { ok: false, missing };
  const items = request.items.map(({ productId, quantity }) => ({ productId, quantity, unitPriceCents: prices.get(productId) as number }));
  return { ok: true, order: { userId: request.userId, items } };
}

export type PlaceOrderPlan =
  | { ok: true; totalCents: number }
  | { ok: false; code: 'DUPLICATE_PRODUCT' | 'TOTAL_TOO_LARGE'; message: string };

/**
 * The rules of a new order that a schema cannot say: one line per product,
 * and a total that fits the events' `Cents` (summed in BigInt because 100
 * lines × 10 000 × 10^12 cents is far beyond Number's exact range).
 */
export function planOrder(order: NewOrder): PlaceOrderPlan {
  const duplicate = duplicateProduct(order.items);
  if (duplicate !== null) return { ok: false, code: 'DUPLICATE_PRODUCT', message: `product ${duplicate} appears more than once` };
  const total = order.items.reduce((sum, item) => sum + BigInt(item.quantity) * BigInt(item.unitPriceCents), 0n);
  if (total > BigInt(MAX_TOTAL_CENTS)) {
    return { ok: false, code: 'TOTAL_TOO_LARGE', message: `order total exceeds ${MAX_TOTAL_CENTS} cents` };
  }
  return { ok: true, totalCents: Number(total) };
}

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an Idempotency-Key remembers of its request: same key and same hash is the same request. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
