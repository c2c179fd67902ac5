import type { CacheEntry } from './codec.ts';

/**
 * The optional in-process layer: a small LRU bounded by entry count, each
 * entry also bounded in time. A Map keeps insertion order, so re-inserting on
 * a hit and evicting the first key is an LRU without a linked list.
 */
export class BoundedLru<T> {
  readonly #items = new Map<string, { entry: CacheEntry<T>; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string, now: number): CacheEntry<T> | undefined {
    const item = this.#items.get(key);
    if (!item) return undefined;
    this.#items.delete(key);
    if (item.expiresAt <= now) return undefined;
    this.#items.set(key, item);
    return item.entry;
  }

  set(key: string, entry: CacheEntry<T>, expiresAt: number): void {
    this.#items.delete(key);
    this.#items.set(key, { entry, expiresAt });
    while (this.#items.size > this.#maxEntries) {
      const oldest = this.#items.keys().next();
      if (oldest.done) break;
      this.#items.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#items.delete(key);
  }

  clear(): void {
    this.#items.clear();
  }
}
