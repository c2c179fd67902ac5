/**
 * Cache-aside on Redis: TTL with jitter, negative caching, one loader per key
 * across instances (a short-lived lock, stale copies while reloading),
 * invalidation broadcast over pub/sub to optional in-process layers, metrics.
 */
export { createCache, type Cache } from './cache.ts';
export { cacheDefaults, type CacheOptions, type CacheReport, type Loader } from './options.ts';
export { cacheKeys, type CacheKeys } from './keys.ts';
export { invalidationChannel } from './invalidation.ts';
export type { CacheStats } from './metrics.ts';
export type { CacheEntry } from './codec.ts';
