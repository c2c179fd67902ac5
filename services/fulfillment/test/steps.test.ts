import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runLuaScript } from 'tributary';
import { useRedis } from 'tributary/testing/vitest';
import { fulfillmentKeys, SERVICE } from '../src/store/keys.ts';
import { holdStockScript } from '../src/store/scripts.ts';
import { createStockStore, legacyMarkersLeft } from '../src/store/stock-store.ts';

/**
 * An order of several products is shipped in steps (one product's slot at a
 * time, for Redis Cluster): a handler that dies between them is redelivered,
 * and the redelivery ends where one uninterrupted run would have, taking
 * nothing twice. Runs on a cluster too (TRIBUTARY_TEST_REDIS=cluster).
 */
const env = useRedis();

async function products(store: ReturnType<typeof createStockStore>, stocks: number[]): Promise<string[]> {
  const ids = stocks.map(() => randomUUID());
  for (const [index, stock] of stocks.entries()) {
    await store.createProduct(SERVICE, randomUUID(), { productId: ids[index] as string, stock, bannedCountries: [], digital: false });
  }
  return ids;
}

/** What a handler that died after taking one product's stock left behind. */
function holdOnly(productId: string, eventId: string, quantity: number) {
  return runLuaScript<string>(env.redis, holdStockScript, [fulfillmentKeys.product(productId), fulfillmentKeys.hold(productId, SERVICE, eventId)], [quantity, 60]);
}

describe('an order of several products, shipped in steps', () => {
  it('a redelivery after a death between two products takes each once and ships', async () => {
    const store = createStockStore(env.redis);
    const [tea, cups] = await products(store, [5, 5]);
    const eventId = randomUUID();
    expect(await holdOnly(tea as string, eventId, 2)).toBe('held');
    const order = { country: 'GB', lines: [{ productId: tea as string, quantity: 2 }, { productId: cups as string, quantity: 3 }] };
    expect(await store.shipOrder(SERVICE, eventId, order)).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect(await store.shipOrder(SERVICE, eventId, order)).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect((await store.getProduct(tea as string))?.stock).toBe(3);
    expect((await store.getProduct(cups as string))?.stock).toBe(2);
  });

  it('one product short: what was taken for the order is given back, once, and a redelivery answers the same', async () => {
    const store = createStockStore(env.redis);
    const [tea, cups] = await products(store, [5, 1]);
    const eventId = randomUUID();
    // Died after taking the tea, before finding the cups short.
    expect(await holdOnly(tea as string, eventId, 2)).toBe('held');
    expect((await store.getProduct(tea as string))?.stock).toBe(3);
    const order = { country: 'GB', lines: [{ productId: tea as string, quantity: 2 }, { productId: cups as string, quantity: 3 }] };
    const failed = { outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: [cups] };
    expect(await store.shipOrder(SERVICE, eventId, order)).toEqual(failed);
    expect(await store.shipOrder(SERVICE, eventId, order)).toEqual(failed);
    expect((await store.getProduct(tea as string))?.stock).toBe(5);
    expect((await store.getProduct(cups as string))?.stock).toBe(1);
  });

  it('an outcome stored under the name from before Cluster support is answered, not decided again', async () => {
    const [tea] = await products(createStockStore(env.redis), [5]);
    const eventId = randomUUID();
    await env.redis.sendCommand(['SET', fulfillmentKeys.legacyHandled(SERVICE, eventId), '{"outcome":"SHIPPED"}', 'EX', '60']);
    expect(await legacyMarkersLeft(env.redis)).toBe(true);
    const store = createStockStore(env.redis, 60, { legacyMarkers: true });
    expect(await store.shipOrder(SERVICE, eventId, { country: 'GB', lines: [{ productId: tea as string, quantity: 2 }] })).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect((await store.getProduct(tea as string))?.stock).toBe(5);
    await env.redis.sendCommand(['DEL', fulfillmentKeys.legacyHandled(SERVICE, eventId)]);
    expect(await legacyMarkersLeft(env.redis)).toBe(false);
  });
});
