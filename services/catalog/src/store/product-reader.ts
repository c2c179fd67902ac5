import { createPubSubPublisher, createPubSubSubscriber, type PubSubSubscriber } from 'tributary/pubsub';
import { createCache, type Cache, type CacheReport } from 'tributary/cache';
import type { RedisClient } from 'tributary';
import type { SqlExecutor } from 'tributary/sql';
import type { Registry } from 'prom-client';
import { inRequestedOrder } from '../domain/products.ts';
import { catalogKeys } from './keys.ts';
import { findProduct, findProducts, ProductRecord, type Product } from './products.ts';

export interface CatalogCacheOptions {
  ttlMs?: number;
  negativeTtlMs?: number;
  staleMs?: number;
  /** An in-process layer per instance; invalidations reach it over pub/sub, so a read may lag a write by that hop. */
  l1?: { maxEntries: number; ttlMs: number };
}

/** Products live long and change rarely; unknown ids are asked for by mistake, briefly. */
export const catalogCacheDefaults = { ttlMs: 300_000, negativeTtlMs: 10_000, staleMs: 600_000 };

export interface ProductReader {
  /** Null when there is no such product. */
  get(id: string): Promise<Product | null>;
  /** In the order asked, skipping ids without a product. */
  getMany(ids: readonly string[]): Promise<Product[]>;
  /** Drops cached copies (a no-op without a cache). Throws while the store Redis is down. */
  invalidate(ids: readonly string[]): Promise<void>;
  readonly cache: Cache<Product> | null;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How catalog reads single products: through the kit cache on the store
 * Redis, or (cache: false, for comparison in the benchmark) straight from
 * PostgreSQL.
 */
export function createProductReader(deps: {
  db: SqlExecutor;
  store: RedisClient;
  cache: false | CatalogCacheOptions;
  registry?: Registry;
  onReport?: (report: CacheReport) => void;
}): ProductReader {
  const { db } = deps;
  if (deps.cache === false) {
    return {
      cache: null,
      get: (id) => findProduct(db, id),
      getMany: async (ids) => inRequestedOrder(ids, await findProducts(db, ids)),
      invalidate: async () => undefined,
      start: async () => undefined,
      close: async () => undefined,
    };
  }
  const options = { ...catalogCacheDefaults, ...deps.cache };
  const subscriber: PubSubSubscriber | undefined = options.l1 ? createPubSubSubscriber({ redis: deps.store, ...(deps.registry ? { registry: deps.registry } : {}) }) : undefined;
  const cache = createCache({
    redis: deps.store,
    prefix: catalogKeys.cachePrefix,
    name: 'catalog',
    schema: ProductRecord,
    load: (id) => findProduct(db, id),
    ttlMs: options.ttlMs,
    negativeTtlMs: options.negativeTtlMs,
    staleMs: options.staleMs,
    broadcast: { publisher: createPubSubPublisher({ redis: deps.store, ...(deps.registry ? { registry: deps.registry } : {}) }), ...(subscriber ? { subscriber } : {}) },
    ...(options.l1 ? { l1: options.l1 } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.onReport ? { onReport: deps.onReport } : {}),
  });
  return {
    cache,
    get: (id) => cache.get(id),
    async getMany(ids) {
      // Commands issued in one tick are pipelined by node-redis: one round trip for the page.
      const found = await Promise.all(ids.map((id) => cache.get(id)));
      return inRequestedOrder(ids, found.filter((product): product is Product => product !== null));
    },
    invalidate: (ids) => cache.invalidate(ids),
    async start() {
      await cache.start();
      await subscriber?.start();
    },
    async close() {
      await cache.close();
      await subscriber?.close();
    },
  };
}
