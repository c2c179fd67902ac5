import { TributaryError } from '../errors.ts';

/**
 * Every Redis key of one cache namespace. The caller's key sits in a hash tag
 * so an entry and its lock share a slot (the scripts touch both in Redis
 * Cluster); the prefix therefore must not contain braces of its own.
 */
export function cacheKeys(prefix: string) {
  if (!/^[^{}\s]+$/.test(prefix)) throw new TributaryError('TRIB_INVALID_CONFIG', `cache prefix "${prefix}" must be non-empty, without braces or spaces`);
  return {
    /** String: the encoded entry, PX = fresh TTL (jittered) + stale window. */
    entry: (key: string): string => `${prefix}:{${key}}`,
    /** String: the current loader's token, PX = lockTtlMs. */
    lock: (key: string): string => `${prefix}:{${key}}:lock`,
    /** Pub/sub channel on which invalidations are broadcast. */
    invalidations: `${prefix}:invalidations`,
  } as const;
}

export type CacheKeys = ReturnType<typeof cacheKeys>;
