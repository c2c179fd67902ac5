import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { activeActiveKeys } from 'tributary/activeactive';
import { startRedisServer, testDatabases, waitFor, type RedisServer } from 'tributary/testing';
import { CACHE_REGION_PREFIX } from '../src/store/active-active-cache.ts';
import { useCatalog, waitForSettled } from './harness.ts';

/**
 * The book's Figure 4-3: the product cache Active/Active in front of the
 * central database. Two catalog instances on one database and one bus, each
 * in its own region with its own region Redis (two real redis-servers): a
 * product read in region a is served from the cache in region b, and a price
 * change invalidates it in both, through replication.
 */
let serverA: RedisServer, serverB: RedisServer;
let regionA: RedisClient, regionB: RedisClient;

beforeAll(async () => {
  [serverA, serverB] = await Promise.all([startRedisServer(), startRedisServer()]);
  [regionA, regionB] = await Promise.all([connectRedis(serverA.url), connectRedis(serverB.url)]);
});
afterAll(async () => {
  await Promise.all([regionA?.close(), regionB?.close()]);
  await Promise.all([serverA?.stop(), serverB?.stop()]);
});
beforeEach(async () => {
  await Promise.all([regionA.flushAll(), regionB.flushAll()]);
});

const entryKey = (id: string) => activeActiveKeys(CACHE_REGION_PREFIX).value(`product:${id}`);

describe.each(testDatabases())('catalog Active/Active cache on $kind', (entry) => {
  const t = useCatalog(entry);

  it('fills once in one region, serves in both, and a change invalidates it everywhere', async () => {
    const h = await t.setup({ regions: { region: 'a', redis: regionA, peers: [{ region: 'b', redis: regionB }] } });
    const inB = await h.another({ regions: { region: 'b', redis: regionB, peers: [{ region: 'a', redis: regionA }] } });
    const created = await h.app.inject({ method: 'POST', url: '/products', payload: { sku: 'AA-001', name: 'Oatcakes', priceCents: 300, stock: 9 } });
    expect(created.statusCode).toBe(201);
    const product = created.json<{ id: string; name: string; priceCents: number }>();
    await waitForSettled(h.bus, 1);

    // Filled in a by a read there; b's replicator brings the entry over.
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);
    const filled = await regionA.get(entryKey(product.id));
    expect(JSON.parse(filled ?? 'null')).toMatchObject({ found: true, product: { id: product.id, priceCents: 300 } });
    await waitFor(async () => (await regionB.get(entryKey(product.id))) === filled, { description: "a's fill replicated to b" });

    // Changed behind catalog's back: b answers from its copy of a's fill, not from the table.
    await h.db.query("UPDATE products SET name = 'Changed in SQL' WHERE id = $1", [product.id]);
    expect((await inB.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);

    // A price change in a: its invalidation reaches b by replication, with no read in either region.
    expect((await h.app.inject({ method: 'PATCH', url: `/products/${product.id}`, payload: { priceCents: 250 } })).statusCode).toBe(200);
    await waitFor(async () => (await regionA.get(entryKey(product.id))) === '' && (await regionB.get(entryKey(product.id))) === '', { description: 'invalidated in both regions' });
    // Catalog's own consumer invalidates once more from ProductChanged: let it pass before the refill below.
    await waitForSettled(h.bus, 2);
    const changed = { ...product, name: 'Changed in SQL', priceCents: 250 };
    expect((await inB.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(changed);
    // b's reload is a's cache too.
    const refilled = await regionB.get(entryKey(product.id));
    await waitFor(async () => (await regionA.get(entryKey(product.id))) === refilled, { description: "b's fill replicated to a" });
    await h.db.query("UPDATE products SET name = 'Changed again' WHERE id = $1", [product.id]);
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(changed);
  });

  it('caches an unknown id as "not found" in the region, replicated', async () => {
    const h = await t.setup({ regions: { region: 'a', redis: regionA, peers: [{ region: 'b', redis: regionB }] } });
    const inB = await h.another({ regions: { region: 'b', redis: regionB, peers: [{ region: 'a', redis: regionA }] } });
    const ghost = '00000000-0000-4000-8000-000000000000';
    expect((await h.app.inject({ method: 'GET', url: `/products/${ghost}` })).statusCode).toBe(404);
    await waitFor(async () => JSON.parse((await regionB.get(entryKey(ghost))) ?? 'null')?.found === false, { description: 'negative entry in b' });
    expect((await inB.inject({ method: 'GET', url: `/products/${ghost}` })).statusCode).toBe(404);
  });
});
