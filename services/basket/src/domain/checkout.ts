import { Cents } from '@tributary/contracts';
import type { BasketLine, ProductCopy } from './basket.ts';

/** CheckoutRequested carries at most this many items, so a basket holds at most this many products. */
export const MAX_BASKET_PRODUCTS = 100;
/** The largest total an event may carry (the contracts' `Cents` maximum). */
export const MAX_TOTAL_CENTS = Cents.maximum ?? 1_000_000_000_000;

export interface CheckoutItem {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export type CheckoutPlan =
  | { ok: true; items: CheckoutItem[]; totalCents: number }
  | { ok: false; code: 'UNKNOWN_PRODUCT' | 'TOTAL_TOO_LARGE'; message: string };

/**
 * The snapshot a checkout records: every line with the basket's price.
 * An empty basket plans to an empty snapshot; whether that is an error
 * depends on a pending checkout, which only the store knows.
 */
export function planCheckout(lines: readonly BasketLine[], products: ReadonlyMap<string, ProductCopy>): CheckoutPlan {
  const unknown = lines.filter((line) => !products.has(line.productId)).map((line) => line.productId);
  if (unknown.length > 0) {
    return { ok: false, code: 'UNKNOWN_PRODUCT', message: `no price known for ${unknown.join(', ')}; remove it from the basket` };
  }
  const items = lines.map((line) => ({
    productId: line.productId,
    quantity: line.quantity,
    unitPriceCents: (products.get(line.productId) as ProductCopy).priceCents,
  }));
  const total = items.reduce((sum, item) => sum + BigInt(item.quantity) * BigInt(item.unitPriceCents), 0n);
  if (total > BigInt(MAX_TOTAL_CENTS)) {
    return { ok: false, code: 'TOTAL_TOO_LARGE', message: `basket total exceeds ${MAX_TOTAL_CENTS} cents` };
  }
  return { ok: true, items, totalCents: Number(total) };
}

export interface SweepTiming {
  /** A pending checkout is re-published once it is this old (the request that created it had its chance). */
  afterMs: number;
  /** The longest wait between two re-publications of one checkout. */
  maxDelayMs: number;
}

/**
 * When the sweep should look at a still-pending checkout again: after about
 * its age (so re-publications thin out exponentially while ordering is
 * away), never sooner than `afterMs`, never later than `maxDelayMs`.
 */
export function nextSweepDelay(ageMs: number, timing: SweepTiming): number {
  return Math.min(timing.maxDelayMs, Math.max(timing.afterMs, ageMs));
}
