import type { ServiceName } from './services.ts';

/**
 * `npm start -- --regions 2` (or TRIBUTARY_REGIONS): the book's chapter 4 on
 * one machine. Each region has its own region Redis (the Active/Active data),
 * its own gateway and its own instances of the Active/Active services; the
 * bus and the SQL databases stay central (Figure 4-3: Active/Active data in
 * front of a central database). docs/architecture.md, "Regions".
 */

/** The services that can run once per region, keeping their Active/Active data in the region's Redis (the gateway also runs per region). */
export const REGIONAL_SERVICES = ['order-monitoring', 'catalog'] as const satisfies readonly ServiceName[];
export type RegionalService = (typeof REGIONAL_SERVICES)[number];

/**
 * Those that do here: the catalog only with a PostgreSQL server (its PGlite
 * database is a directory one process opens, so a second region's catalog
 * has nothing to read); without one it stays central, as today.
 */
export function regionalServices(options: { database: boolean }): RegionalService[] {
  return REGIONAL_SERVICES.filter((service) => service !== 'catalog' || options.database);
}

/** More regions than this on one machine is a typo: each costs a redis-server and a gateway. */
export const MAX_REGIONS = 4;

const REGION_NAME = /^[a-z][a-z0-9-]{0,15}$/;

export const REGIONS_USAGE = `--regions <n> (1 to ${MAX_REGIONS}: regions a, b, ...) or --regions <name>,<name>[,...] (lower-case names, e.g. eu,us); also TRIBUTARY_REGIONS`;

export class RegionsError extends Error {}

/** `2` → [a, b]; `eu,us` → [eu, us]; `1` (or nothing) → [] (one region, no region Redis: today's system). */
export function parseRegions(text: string | undefined): string[] {
  const value = text?.trim() ?? '';
  if (value === '') return [];
  if (/^\d+$/.test(value)) {
    const count = Number(value);
    if (count < 1 || count > MAX_REGIONS) throw new RegionsError(`--regions ${value}: from 1 to ${MAX_REGIONS} regions`);
    return count === 1 ? [] : Array.from({ length: count }, (_unused, i) => String.fromCharCode(97 + i));
  }
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!REGION_NAME.test(name)) throw new RegionsError(`--regions: "${name}" is not a region name (lower-case letters, digits and -, starting with a letter, at most 16)`);
  }
  if (new Set(names).size !== names.length) throw new RegionsError('--regions: a region is named twice');
  if (names.length > MAX_REGIONS) throw new RegionsError(`--regions: at most ${MAX_REGIONS} regions`);
  return names.length === 1 ? [] : names;
}

/** `order-monitoring` in region b: `order-monitoring-b0` (its consumer name on the central bus; stable across restarts). */
export function regionalInstanceName(service: ServiceName, region: string): string {
  return `${service}-${region}0`;
}

/** The env prefix of a service's own settings: `order-monitoring` → `ORDER_MONITORING`. */
export function envPrefix(service: ServiceName): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/**
 * What makes a regional service Active/Active: its region, the other
 * regions' Redis (each URL with this service's own user there), and its
 * region's Redis: order-monitoring's whole store (all it keeps is per
 * region or Active/Active), the catalog's cache alone (its price index stays
 * in the central store). `failedOverTo`: the region whose Redis
 * it writes while its own is down, as one more writer of that region, with no
 * peers (the region it moved to replicates with the rest).
 */
export function regionalEnv(service: RegionalService, region: string, redisUrls: ReadonlyMap<string, string>, failedOverTo?: string): Record<string, string> {
  const prefix = envPrefix(service);
  const home = failedOverTo ?? region;
  const url = redisUrls.get(home);
  if (!url) throw new Error(`no region Redis for region ${home}`);
  const peers = failedOverTo ? [] : [...redisUrls].filter(([name]) => name !== region).map(([name, peerUrl]) => `${name}=${peerUrl}`);
  return {
    [service === 'catalog' ? 'CATALOG_REGION_REDIS_URL' : `${prefix}_STORE_REDIS_URL`]: url,
    [`${prefix}_REGION`]: home,
    [`${prefix}_PEERS`]: peers.length > 0 ? peers.join(',') : 'none',
  };
}
