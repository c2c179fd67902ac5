import { ProductChanged, ProductCreated } from '@tributary/contracts';
import { streamKeys, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createSqlServiceShell, type ConsumerTuning, type Logger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { productEventsHandler } from './handlers/product-events.ts';
import { productRoutes } from './routes/products.ts';
import { SERVICE } from './store/keys.ts';
import { createPriceIndex } from './store/price-index.ts';
import { createActiveActiveReader, type CatalogRegions } from './store/active-active-cache.ts';
import { catalogCacheDefaults, createProductReader, type CatalogCacheOptions } from './store/product-reader.ts';
import type { Product } from './store/products.ts';
import { installSchema } from './store/schema.ts';

export { SERVICE };

export type { ConsumerTuning };

export interface CatalogDeps {
  db: SqlDatabase;
  /** The bus Redis: catalog publishes on `catalog:events` and reads it back to keep its Redis copies in step. */
  bus: RedisClient;
  /** The store Redis: the product cache and the by-price sorted set, both rebuildable from PostgreSQL. */
  store: RedisClient;
  logger?: Logger;
  /** Consumer name of this instance (stable across its restarts). */
  instance?: string;
  /** `false` reads products straight from PostgreSQL (the benchmark's baseline); default: cached. */
  cache?: boolean | CatalogCacheOptions;
  outboxPollIntervalMs?: number;
  consumer?: ConsumerTuning;
  /**
   * The product cache Active/Active in the region's Redis (CATALOG_REGION,
   * CATALOG_PEERS, CATALOG_REGION_REDIS_URL; the book's Figure 4-3); the
   * price index stays in the store.
   */
  regions?: CatalogRegions;
}

/**
 * A store outage must not dead-letter invalidations within seconds: twenty
 * attempts with backoff up to 5 s ride out about a minute and a half.
 */
export const catalogConsumerDefaults = { maxAttempts: 20, backoffBaseMs: 100, backoffMaxMs: 5_000 } satisfies ConsumerTuning;

/**
 * Builds catalog: tables, outbox relay, the consumer of its own events, the
 * price index (checked against the table before serving) and the HTTP app
 * (not listening). close() stops what it started; the caller closes the
 * database and the Redis clients it passed in.
 */
export async function startCatalog(deps: CatalogDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const { db, bus, store } = deps;
  const { app, consumers, outbox, publisher, logger, start } = await createSqlServiceShell({
    service: SERVICE,
    db,
    bus,
    store,
    logger: deps.logger,
    instance: deps.instance,
    // The start-up repair covers what came before the group existed.
    tuning: { ...catalogConsumerDefaults, ...deps.consumer, startFrom: '$' },
    tables: [installSchema],
    outbox: { pollIntervalMs: deps.outboxPollIntervalMs },
  });
  const registry = app.metricsRegistry;
  const cacheOptions = typeof deps.cache === 'object' ? deps.cache : {};
  const reader =
    deps.regions && deps.cache !== false
      ? createActiveActiveReader({ db, regions: deps.regions, ttlMs: cacheOptions.ttlMs ?? catalogCacheDefaults.ttlMs, negativeTtlMs: cacheOptions.negativeTtlMs ?? catalogCacheDefaults.negativeTtlMs })
      : createProductReader({
    db,
    store,
    cache: deps.cache === false ? false : deps.cache === true || deps.cache === undefined ? {} : deps.cache,
    registry,
    onReport: (report) => {
      if (report.kind === 'redis-error') logger.warn({ err: report.error }, 'cache: store redis error, reading from the database');
      else if (report.kind === 'corrupt') logger.warn({ key: report.key, reason: report.reason }, 'cache: corrupt entry replaced');
    },
        });
  const index = createPriceIndex({ db, store });

  const afterWrite = async (product: Product) => {
    // The consumer below repeats this from the event, so a failure here only delays convergence.
    if (!store.isReady) {
      logger.warn({ productId: product.id }, 'store redis down: cache and price index catch up from the event');
      return;
    }
    try {
      await Promise.all([index.set(product.id, product.priceCents), reader.invalidate([product.id])]);
    } catch (error) {
      logger.warn({ err: error, productId: product.id }, 'after-commit sync failed; the event will repeat it');
    }
  };

  const onEvent = productEventsHandler({ index, reader });
  consumers.consumer(streamKeys.events(SERVICE)).onBatch(ProductCreated, onEvent).onBatch(ProductChanged, onEvent);

  await app.register(async (scope) => productRoutes(scope, { db, outbox, publisher, reader, index, afterWrite }));
  const repairIndex = async () => {
    const repaired = await index.repair();
    if (repaired.fixed > 0 || repaired.removed > 0) logger.info(repaired, 'price index repaired from the database');
  };
  // The group exists before the repair reads the table: a change committed
  // after the read is delivered to the group, one before it is in the read.
  // Closed the other way round: the relay and the consumers, then HTTP, then the cache the routes read.
  return start([reader, 'http', 'consumers', { start: repairIndex }, 'outbox']);
}
