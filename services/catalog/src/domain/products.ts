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
