import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { RedisClient } from 'tributary';
import { createRegion, createReplicator, type Replicator } from 'tributary/activeactive';
import type { SqlExecutor } from 'tributary/sql';
import { inRequestedOrder } from '../domain/products.ts';
import { SERVICE } from './keys.ts';
import { findProduct, ProductRecord, type Product } from './products.ts';
import type { ProductReader } from './product-reader.ts';

/**
 * This instance's region, its region's Redis (CATALOG_REGION_REDIS_URL, or
 * the store) and every other region's (CATALOG_REGION, CATALOG_PEERS).
 */
export interface CatalogRegions {
  region: string;
  redis: RedisClient;
  peers: ReadonlyArray<{ region: string; redis: RedisClient }>;
}

/** Every region keeps its copy under this prefix in its own Redis. */
export const CACHE_REGION_PREFIX = `${SERVICE}:aa`;

/** An invalidated entry: an LWW write like a fill, so it wins over every fill it saw, in every region. */
const INVALID = '';

const checkProduct = TypeCompiler.Compile(ProductRecord);

type Entry = { found: true; product: Product; expiresAt: number } | { found: false; expiresAt: number };

function decode(payload: string | null, now: number): Entry | null {
  if (payload === null || payload === INVALID) return null;
  try {
    const parsed = JSON.parse(payload) as { found?: unknown; product?: unknown; expiresAt?: unknown };
    if (typeof parsed.expiresAt !== 'number' || parsed.expiresAt <= now) return null;
    if (parsed.found === false) return { found: false, expiresAt: parsed.expiresAt };
    // A copy that does not match the schema (another version wrote it) is a miss, and the load overwrites it.
    return parsed.found === true && checkProduct.Check(parsed.product) ? { found: true, product: parsed.product, expiresAt: parsed.expiresAt } : null;
  } catch {
    return null;
  }
}

/**
 * The book's Figure 4-3: the product cache kept Active/Active in front of
 * the central database. Each entry is an LWW register (tributary/activeactive)
 * in the region's Redis: a miss loads from the database and writes the
 * register, which every other region's replicator copies, so a product read
 * once in one region is served from the cache in all. An invalidation is a
 * write of the empty value: replicated like a fill, it empties the entry in
 * every region without a database read there.
 *
 * Written here rather than as options of the kit cache: its entries are
 * plain keys with a Redis TTL and a lock, neither of which replicates (a TTL
 * expiring at different times in two regions would leave them apart). The
 * expiry is in the value instead, the same in every region; an expired entry
 * is a miss, and the next load overwrites it.
 *
 * A race the single-region cache's lock closes is open here: a load that
 * read the old row, written after an invalidation of the change, wins by its
 * later clock, and the old copy is served in every region until it expires
 * (ttlMs). The event consumer's invalidation, which comes after the commit,
 * closes it in most cases.
 */
export function createActiveActiveReader(deps: { db: SqlExecutor; regions: CatalogRegions; ttlMs: number; negativeTtlMs: number }): ProductReader {
  const region = createRegion({ redis: deps.regions.redis, region: deps.regions.region, prefix: CACHE_REGION_PREFIX });
  const replicators: Replicator[] = deps.regions.peers.map((peer) => createReplicator({ source: peer, target: region }));
  const flights = new Map<string, Promise<Product | null>>();

  async function load(id: string): Promise<Product | null> {
    const product = await findProduct(deps.db, id);
    const expiresAt = Date.now() + (product ? deps.ttlMs : deps.negativeTtlMs);
    const payload = JSON.stringify(product ? { found: true, product, expiresAt } : { found: false, expiresAt });
    // A Redis failure costs the copy, never the answer.
    await region.setRegister(`product:${id}`, payload).catch(() => undefined);
    return product;
  }

  async function get(id: string): Promise<Product | null> {
    const cached = decode(await region.register(`product:${id}`).catch(() => null), Date.now());
    if (cached) return cached.found ? cached.product : null;
    // One load per id in this process at a time; across instances and regions a miss may load twice (the cost of no lock).
    let flight = flights.get(id);
    if (!flight) {
      flight = load(id).finally(() => flights.delete(id));
      flights.set(id, flight);
    }
    return flight;
  }

  return {
    cache: null,
    get,
    async getMany(ids) {
      const found = await Promise.all(ids.map(get));
      return inRequestedOrder(ids, found.filter((product): product is Product => product !== null));
    },
    async invalidate(ids) {
      await Promise.all(ids.map((id) => region.setRegister(`product:${id}`, INVALID)));
    },
    async start() {
      for (const replicator of replicators) replicator.start();
    },
    async close() {
      await Promise.all(replicators.map((replicator) => replicator.close()));
    },
  };
}
