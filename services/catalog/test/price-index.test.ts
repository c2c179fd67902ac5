import { describe, expect, it } from 'vitest';
import { testDatabases } from 'tributary/testing';
import { useCatalog, waitForSettled, type Harness } from './harness.ts';

const KEY = 'catalog:products:by-price';

async function create(h: Harness, sku: string, priceCents: number): Promise<string> {
  const response = await h.app.inject({ method: 'POST', url: '/products', payload: { sku, name: `Product ${sku}`, priceCents, stock: 1 } });
  expect(response.statusCode).toBe(201);
  return response.json().id;
}

/** The sorted set as [member, score] pairs, lowest score first. */
async function layout(h: Harness): Promise<Array<[string, number]>> {
  const reply = await h.store.zRangeWithScores(KEY, 0, -1);
  return reply.map((entry) => [String(entry.value), Number(entry.score)]);
}

async function skusByPrice(h: Harness, query: string): Promise<{ skus: string[]; total: number }> {
  const response = await h.app.inject({ method: 'GET', url: `/products?sort=price${query}` });
  expect(response.statusCode).toBe(200);
  const body = response.json() as { items: Array<{ sku: string }>; total: number };
  return { skus: body.items.map((item) => item.sku), total: body.total };
}

describe.each(testDatabases())('catalog price index on $kind', (entry) => {
  const t = useCatalog(entry);

  it('keeps catalog:products:by-price in step with the table: score = price, member = product id', async () => {
    const h = await t.setup();
    const tea = await create(h, 'TEA', 300);
    const jam = await create(h, 'JAM', 100);
    const oat = await create(h, 'OAT', 200);
    expect(await layout(h)).toEqual([[jam, 100], [oat, 200], [tea, 300]]);
    expect(await skusByPrice(h, '&order=asc')).toEqual({ skus: ['JAM', 'OAT', 'TEA'], total: 3 });
    expect(await skusByPrice(h, '&order=desc&limit=2')).toEqual({ skus: ['TEA', 'OAT'], total: 3 });
    expect(await skusByPrice(h, '&order=desc&limit=2&offset=2')).toEqual({ skus: ['JAM'], total: 3 });

    expect((await h.app.inject({ method: 'PATCH', url: `/products/${jam}`, payload: { priceCents: 500 } })).statusCode).toBe(200);
    expect(await layout(h)).toEqual([[oat, 200], [tea, 300], [jam, 500]]);
    expect(await skusByPrice(h, '')).toEqual({ skus: ['OAT', 'TEA', 'JAM'], total: 3 });
    // A name change leaves the order alone, and the page carries the new name (bodies come through the cache).
    await h.app.inject({ method: 'PATCH', url: `/products/${oat}`, payload: { name: 'Porridge oats' } });
    const page = (await h.app.inject({ method: 'GET', url: '/products?sort=price&limit=1' })).json();
    expect(page.items.map((item: { id: string; name: string }) => [item.id, item.name])).toEqual([[oat, 'Porridge oats']]);

    // The order really comes from the set: a score moved by hand moves the product.
    await h.store.zAdd(KEY, { score: 1, value: tea });
    expect((await skusByPrice(h, '')).skus).toEqual(['TEA', 'OAT', 'JAM']);
  });

  it('repairs the set from PostgreSQL when an instance starts: empty, wrong scores, missing and unknown members', async () => {
    const h = await t.setup();
    const a = await create(h, 'A', 100);
    const b = await create(h, 'B', 200);
    const c = await create(h, 'C', 300);
    await waitForSettled(h.bus, 3);
    const expected: Array<[string, number]> = [[a, 100], [b, 200], [c, 300]];

    await h.store.del(KEY);
    await h.another();
    expect(await layout(h)).toEqual(expected);

    await h.store.zAdd(KEY, [{ score: 999, value: a }, { score: 5, value: 'no-such-product' }]);
    await h.store.zRem(KEY, c);
    await h.another();
    expect(await layout(h)).toEqual(expected);
    expect(await skusByPrice(h, '')).toEqual({ skus: ['A', 'B', 'C'], total: 3 });
  });
});
