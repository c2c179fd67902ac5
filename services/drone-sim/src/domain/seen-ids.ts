/**
 * The delivery ids this process has taken, oldest forgotten first once
 * `limit` is reached. Memory only: after a restart a redelivered job flies
 * again, which delivery tolerates because a reading never moves a delivery
 * backwards (it keeps the highest seq and the furthest status).
 */
export interface SeenIds {
  /** True when `id` was new (and is now remembered). */
  add(id: string): boolean;
  has(id: string): boolean;
  readonly size: number;
}

export function createSeenIds(limit: number): SeenIds {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  // A Set iterates in insertion order, so its first element is the oldest.
  const ids = new Set<string>();
  return {
    add(id) {
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > limit) ids.delete(ids.values().next().value as string);
      return true;
    },
    has: (id) => ids.has(id),
    get size() {
      return ids.size;
    },
  };
}
