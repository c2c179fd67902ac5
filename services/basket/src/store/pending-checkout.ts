import { CheckoutRequested } from '@tributary/contracts';
import type { EventData } from 'tributary';

/** A recorded checkout waiting for ordering's OrderPlaced: the source of truth for CheckoutRequested. */
export interface PendingCheckout extends EventData<typeof CheckoutRequested> {
  /** ms since the epoch. */
  createdAt: number;
}

/**
 * Parses the fields of a pending-checkout hash. It is read back from Redis,
 * so it is checked against the very schema the event is published with; a
 * damaged record is an error worth a loud failure.
 */
export function parsePendingCheckout(userId: string, orderId: string, itemsJson: string, createdAt: string): PendingCheckout {
  let items: unknown;
  try {
    items = JSON.parse(itemsJson);
  } catch {
    throw new Error(`pending checkout of ${userId} holds items that are not JSON`);
  }
  const data = { orderId, userId, items };
  const problem = CheckoutRequested.validate(data);
  if (problem !== null || !CheckoutRequested.is(data)) throw new Error(`pending checkout of ${userId} is invalid: ${problem ?? 'unknown'}`);
  const created = Number(createdAt);
  if (!Number.isSafeInteger(created) || created < 0) throw new Error(`pending checkout of ${userId} has an invalid createdAt`);
  return {
    orderId,
    userId,
    items: data.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    createdAt: created,
  };
}
