/**
 * Every key catalog keeps in its store Redis is named here and nowhere else.
 * Products themselves live in PostgreSQL; Redis holds copies that can always
 * be rebuilt from it.
 */
export const SERVICE = 'catalog';

export const catalogKeys = {
  /** Kit cache namespace: `catalog:cache:{<productId>}` (entry) and `…:lock`; invalidations on `catalog:cache:invalidations`. */
  cachePrefix: `${SERVICE}:cache`,
  /** Sorted set, score = price in cents, member = product id (the book's example in chapter 1). */
  byPrice: `${SERVICE}:products:by-price`,
} as const;
