import { describe, expect, it } from 'vitest';
import { testDatabases, waitFor } from 'tributary/testing';
import { count, readEvents, useCatalog, waitForEvents, type Harness } from './harness.ts';

const haggis = { sku: 'HAG-001', name: 'Haggis', priceCents: 1_250, stock: 40, bannedCountries: ['US', 'CA', 'US'] };

async function create(h: Harness, body: Record<string, unknown>) {
  return h.app.inject({ method: 'POST', url: '/products', payload: body });
}

describe.each(testDatabases())('catalog HTTP API on $kind', (entry) => {
  const t = useCatalog(entry);

  it('creates a product, reads it back and emits ProductCreated with the same data', async () => {
    const h = await t.setup();
    const created = await create(h, haggis);
    expect(created.statusCode).toBe(201);
    const product = created.json();
    expect(product).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sku: 'HAG-001',
      name: 'Haggis',
      priceCents: 1_250,
      bannedCountries: ['CA', 'US'],
      digital: false,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // The initial stock goes to fulfillment (in ProductCreated below), which owns the count: the catalog shows none.
    expect(product).not.toHaveProperty('stock');
    const read = await h.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(product);

    // bannedCountries defaults to none; a price beyond 2^32 cents survives the round trip.
    const plain = (await create(h, { sku: 'TEA-1', name: 'Tea', priceCents: 900_000_000_000, stock: 0 })).json();
    expect(plain).toMatchObject({ bannedCountries: [], priceCents: 900_000_000_000 });

    const events = await waitForEvents(h.bus, 2);
    expect(events.map((event) => [event.type, event.version, event.source, event.data])).toEqual([
      ['ProductCreated', 1, 'catalog', { productId: product.id, sku: 'HAG-001', name: 'Haggis', priceCents: 1_250, stock: 40, bannedCountries: ['CA', 'US'], digital: false }],
      ['ProductCreated', 1, 'catalog', { productId: plain.id, sku: 'TEA-1', name: 'Tea', priceCents: 900_000_000_000, stock: 0, bannedCountries: [], digital: false }],
    ]);
  });

  it('answers 409 SKU_TAKEN, 404 PRODUCT_NOT_FOUND and 4xx for bad input, writing nothing', async () => {
    const h = await t.setup();
    expect((await create(h, haggis)).statusCode).toBe(201);
    await waitForEvents(h.bus, 1);

    const taken = await create(h, { ...haggis, name: 'Another haggis' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toEqual({ error: 'SKU_TAKEN', message: expect.any(String) });

    const bodies: unknown[] = [
      {},
      { ...haggis, sku: '' },
      { ...haggis, sku: 'S'.repeat(65) },
      { ...haggis, name: '' },
      { ...haggis, name: 'n'.repeat(201) },
      { ...haggis, name: { en: 'Haggis' } },
      { ...haggis, priceCents: -1 },
      { ...haggis, priceCents: 9.99 },
      { ...haggis, priceCents: 'cheap' },
      { ...haggis, priceCents: 1e13 },
      { ...haggis, stock: -3 },
      { ...haggis, stock: 2 ** 31 },
      { ...haggis, bannedCountries: ['us'] },
      { ...haggis, bannedCountries: ['USA'] },
      { ...haggis, bannedCountries: Array.from({ length: 251 }, () => 'US') },
      { ...haggis, bannedCountries: { US: true } },
      { ...haggis, colour: 'grey' },
      [haggis],
    ];
    for (const payload of bodies) {
      // Validation runs before the SKU check, so haggis's taken SKU cannot mask a 400.
      const response = await h.app.inject({ method: 'POST', url: '/products', payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(400);
      expect(response.json()).toEqual({ error: 'VALIDATION_FAILED', message: expect.any(String) });
    }
    const badJson = await h.app.inject({ method: 'POST', url: '/products', headers: { 'content-type': 'application/json' }, payload: '{"sku":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error).toBe('INVALID_JSON');
    const huge = await create(h, { ...haggis, sku: 'BIG', name: 'x'.repeat(2_000_000) });
    expect(huge.statusCode).toBe(413);

    const missing = await h.app.inject({ method: 'GET', url: '/products/00000000-0000-4000-8000-000000000000' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'PRODUCT_NOT_FOUND', message: expect.any(String) });
    expect((await h.app.inject({ method: 'GET', url: `/products/${'p'.repeat(65)}` })).statusCode).toBe(400);

    expect(await count(h.db, 'SELECT 1 FROM products')).toBe(1);
    // Published right after commit, the rows are deleted just after: the event can be seen first.
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'the outbox emptied' });
    expect(await readEvents(h.bus)).toHaveLength(1);
  });

  it('lists with sort, order, limit and offset, and rejects bad queries', async () => {
    const h = await t.setup();
    const rows = [
      { sku: 'A', name: 'banana', priceCents: 300, stock: 1 },
      { sku: 'B', name: 'Apple', priceCents: 100, stock: 1 },
      { sku: 'C', name: 'cherry', priceCents: 200, stock: 1 },
      { sku: 'D', name: 'Date', priceCents: 200, stock: 1 },
      { sku: 'E', name: 'elderberry', priceCents: 50, stock: 1 },
    ];
    const ids = new Map<string, string>();
    for (const row of rows) {
      const response = await create(h, row);
      expect(response.statusCode).toBe(201);
      ids.set(row.sku, response.json().id);
    }
    const list = async (query: string) => {
      const response = await h.app.inject({ method: 'GET', url: `/products${query}` });
      expect(response.statusCode, query).toBe(200);
      const body = response.json() as { items: Array<{ sku: string }>; total: number };
      return { skus: body.items.map((item) => item.sku).join(''), total: body.total };
    };

    expect(await list('')).toEqual({ skus: 'ABCDE', total: 5 });
    expect(await list('?sort=createdAt&order=desc')).toEqual({ skus: 'EDCBA', total: 5 });
    // By price comes from the sorted set: equal prices (C and D) in product-id order, reversed when descending.
    const tie = (ids.get('C') as string) < (ids.get('D') as string) ? 'CD' : 'DC';
    const eit = [...tie].reverse().join('');
    expect(await list('?sort=price')).toEqual({ skus: `EB${tie}A`, total: 5 });
    expect(await list('?sort=price&order=desc')).toEqual({ skus: `A${eit}BE`, total: 5 });
    expect(await list('?sort=name')).toEqual({ skus: 'BACDE', total: 5 });
    expect(await list('?sort=name&order=desc&limit=2')).toEqual({ skus: 'ED', total: 5 });
    expect(await list('?sort=price&limit=2&offset=2')).toEqual({ skus: tie, total: 5 });
    expect(await list('?offset=10')).toEqual({ skus: '', total: 5 });

    for (const query of ['?limit=0', '?limit=201', '?limit=abc', '?limit=1.5', '?offset=-1', '?sort=popularity', '?order=up', '?page=2']) {
      const response = await h.app.inject({ method: 'GET', url: `/products${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error).toBe('VALIDATION_FAILED');
    }
  });

  it('looks up many products in one call, in the order asked, skipping unknown ids', async () => {
    const h = await t.setup();
    const a = (await create(h, { sku: 'A', name: 'Apple', priceCents: 100, stock: 3 })).json();
    const b = (await create(h, { sku: 'B', name: 'Bread', priceCents: 250, stock: 0, bannedCountries: ['FR'] })).json();
    const lookup = (payload: unknown) => h.app.inject({ method: 'POST', url: '/products/lookup', payload: payload as object });

    const found = await lookup({ ids: [b.id, 'unknown-id', a.id, b.id] });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ items: [b, a] });
    expect((await lookup({ ids: ['nope'] })).json()).toEqual({ items: [] });

    for (const bad of [{}, { ids: [] }, { ids: Array.from({ length: 101 }, (_, i) => `id-${i}`) }, { ids: [42, { id: a.id }] }, { ids: ['bad id!'] }, { ids: [a.id], more: true }]) {
      const response = await lookup(bad);
      expect(response.statusCode, JSON.stringify(bad).slice(0, 100)).toBe(400);
    }
  });
});
