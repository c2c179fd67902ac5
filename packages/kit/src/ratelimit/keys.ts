import { TributaryError } from '../errors.ts';

/**
 * The one Redis key of a limited client: `<prefix>:<key>`. The prefix is the
 * caller's namespace (e.g. `gateway:ratelimit:api`), so two limiters never
 * share state unless they are meant to.
 */
export function limiterKey(prefix: string, key: string): string {
  if (!prefix) throw new TributaryError('TRIB_INVALID_CONFIG', 'rate limiter: a key prefix is required');
  if (!key) throw new TributaryError('TRIB_BAD_ARGUMENTS', 'rate limiter: an empty client key would make every caller share one limit');
  return `${prefix}:${key}`;
}
