/**
 * The reference system's services, in start order (producers before the
 * gateway; shelving before lending, which checks books out of it).
 */
export const SERVICES = ['accounts', 'catalog', 'ordering', 'fulfillment', 'order-monitoring', 'basket', 'mailing', 'package', 'delivery', 'drone-sim', 'delivery-history', 'shelving', 'lending', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The services that keep their data in SQL (the others never open DATABASE_URL): a PGlite each under `<data dir>/pg/<service>`. */
export const SQL_SERVICES: readonly ServiceName[] = ['accounts', 'catalog', 'ordering', 'package', 'delivery-history'];

/** How the gateway finds each service: `<NAME>_URL`. */
export function urlVariable(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** Every instance of a service, comma-separated (`npm start --scale`); `<NAME>_URL` stays the first. */
export function urlsVariable(service: ServiceName): string {
  return `${urlVariable(service)}S`;
}

export function portVariable(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_PORT`;
}

/**
 * Under the data directory (`.data/` by default) while `npm start` runs: the
 * bus Redis URL. The private bus Redis listens on a free port chosen at start,
 * so the `tributary` CLI reads it from here (its default --url).
 */
export const BUS_URL_FILE = 'bus-redis.url';

/** Beside it: the store Redis URL (the launcher's own user), which `tributary backup` snapshots too. */
export const STORE_URL_FILE = 'store-redis.url';

/**
 * Under the data directory with TRIBUTARY_REDIS_TLS=on: the private CA and the
 * certificates of the launcher's TLS-only servers (`ca.crt`, `client.crt`,
 * `client.key`, ...), which the CLI uses for those servers' URLs.
 */
export const PRIVATE_TLS_DIR = 'tls';

/** Under the data directory: the admin key the launcher made on first start (mode 0600), read by the CLI and `tributary load`. */
export const ADMIN_KEY_FILE = 'admin-key';

/** Under the data directory: the key every service asks of its callers as `x-internal-key` (mode 0600). */
export const INTERNAL_KEY_FILE = 'internal-key';
