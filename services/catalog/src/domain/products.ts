/** Catalog rules that need no I/O. */

/**
 * Banned countries are a set: duplicates are dropped and the list is sorted,
 * so the same set always looks the same (in the API, in events, in tests).
 */
export function normalizeBannedCountries(countries: readonly string[]): string[] {
  return [...new Set(countries)].sort();
}

/**
 * Lookup answers in the order the ids were asked for (first occurrence wins),
 * skipping ids that matched no product, so a caller can zip results with its
 * own list without a second index.
 */
export function inRequestedOrder<P extends { id: string }>(ids: readonly string[], found: readonly P[]): P[] {
  const byId = new Map(found.map((product) => [product.id, product]));
  const result: P[] = [];
  for (const id of new Set(ids)) {
    const product = byId.get(id);
    if (product) result.push(product);
  }
  return result;
}

export interface ProductChanges {
  name?: string;
  priceCents?: number;
}

/**
 * What a PATCH really changes: only fields whose value differs, so an event
 * never carries an unchanged price a consumer might apply over a newer one.
 * Null when nothing changes (no write, no event).
 */
export function productChanges(current: { name: string; priceCents: number }, patch: ProductChanges): ProductChanges | null {
  const changes: ProductChanges = {};
  if (patch.name !== undefined && patch.name !== current.name) changes.name = patch.name;
  if (patch.priceCents !== undefined && patch.priceCents !== current.priceCents) changes.priceCents = patch.priceCents;
  return Object.keys(changes).length > 0 ? changes : null;
}
