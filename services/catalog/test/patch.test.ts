import { describe, expect, it } from 'vitest';
import { testDatabases, waitFor } from 'tributary/testing';
import { count, readEvents, useCatalog, waitForEvents, waitForSettled, type Harness } from './harness.ts';

const haggis = { sku: 'HAG-001', name: 'Haggis', priceCents: 1_250, stock: 40, bannedCountries: ['US'] };

async function patch(h: Harness, id: string, payload?: unknown) {
  return h.app.inject({ method: 'PATCH', url: `/products/${id}`, ...(payload === undefined ? {} : { payload: payload as object }) });
}

describe.each(testDatabases())('catalog PATCH /products/:id and digital products on $kind', (entry) => {
  const t = useCatalog(entry);

  it('changes name and price, answers the product, and publishes ProductChanged with only what changed', async () => {
    const h = await t.setup();
    const product = (await h.app.inject({ method: 'POST', url: '/products', payload: haggis })).json();

    const cheaper = await patch(h, product.id, { priceCents: 1_100 });
    expect(cheaper.statusCode).toBe(200);
    expect(cheaper.json()).toEqual({ ...product, priceCents: 1_100 });
    const renamed = await patch(h, product.id, { name: 'Vegetarian haggis', priceCents: 1_100 });
    expect(renamed.json()).toEqual({ ...product, name: 'Vegetarian haggis', priceCents: 1_100 });
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(renamed.json());

    const events = await waitForEvents(h.bus, 3);
    expect(events.slice(1).map((event) => [event.type, event.version, event.data])).toEqual([
      ['ProductChanged', 1, { productId: product.id, changes: { priceCents: 1_100 } }],
      ['ProductChanged', 1, { productId: product.id, changes: { name: 'Vegetarian haggis' } }],
    ]);
  });

  it('a PATCH that changes nothing answers 200 and publishes nothing', async () => {
    const h = await t.setup();
    const product = (await h.app.inject({ method: 'POST', url: '/products', payload: haggis })).json();
    await waitForSettled(h.bus, 1);
    const same = await patch(h, product.id, { name: 'Haggis', priceCents: 1_250 });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toEqual(product);
    // Published right after commit, the rows are deleted just after: the event can be seen first.
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'the outbox emptied' });
    // A real change afterwards is the next event: nothing was queued in between.
    await patch(h, product.id, { priceCents: 1 });
    expect((await waitForEvents(h.bus, 2)).map((event) => event.type)).toEqual(['ProductCreated', 'ProductChanged']);
  });

  it('answers 400 for a bad body or id and 404 PRODUCT_NOT_FOUND, writing nothing', async () => {
    const h = await t.setup();
    const product = (await h.app.inject({ method: 'POST', url: '/products', payload: haggis })).json();
    const bodies: unknown[] = [
      undefined,
      {},
      [],
      { sku: 'X' },
      { stock: 3 },
      { digital: true },
      { name: 'ok', colour: 'grey' },
      { name: '' },
      { name: 'n'.repeat(201) },
      { name: 42 },
      { priceCents: -1 },
      { priceCents: 1.5 },
      { priceCents: '900' },
      { priceCents: 1e13 },
      { priceCents: null },
    ];
    for (const body of bodies) {
      const response = await patch(h, product.id, body);
      expect(response.statusCode, JSON.stringify(body) ?? 'no body').toBe(400);
      expect(response.json()).toEqual({ error: 'VALIDATION_FAILED', message: expect.any(String) });
    }
    const missing = await patch(h, '00000000-0000-4000-8000-000000000000', { priceCents: 5 });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'PRODUCT_NOT_FOUND', message: expect.any(String) });
    expect((await patch(h, 'not an id!', { priceCents: 5 })).statusCode).toBe(400);

    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);
    await waitForEvents(h.bus, 1);
    // Published right after commit, the rows are deleted just after: the event can be seen first.
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'the outbox emptied' });
    expect(await readEvents(h.bus)).toHaveLength(1);
  });

  it('stores the digital flag, shows it in the product and in ProductCreated', async () => {
    const h = await t.setup();
    const ebook = await h.app.inject({ method: 'POST', url: '/products', payload: { sku: 'EBOOK-1', name: 'Redis Microservices', priceCents: 0, stock: 0, digital: true } });
    expect(ebook.statusCode).toBe(201);
    expect(ebook.json()).toMatchObject({ sku: 'EBOOK-1', digital: true });
    const paper = (await h.app.inject({ method: 'POST', url: '/products', payload: { ...haggis, digital: false } })).json();
    expect(paper.digital).toBe(false);
    expect((await h.app.inject({ method: 'GET', url: `/products/${ebook.json().id}` })).json()).toEqual(ebook.json());
    const listed = (await h.app.inject({ method: 'GET', url: '/products?sort=name' })).json();
    expect(listed.items.map((item: { sku: string; digital: boolean }) => [item.sku, item.digital])).toEqual([['HAG-001', false], ['EBOOK-1', true]]);

    for (const digital of ['yes', 1, null]) {
      const response = await h.app.inject({ method: 'POST', url: '/products', payload: { ...haggis, sku: 'BAD', digital } });
      expect(response.statusCode, String(digital)).toBe(400);
    }
    const events = await waitForEvents(h.bus, 2);
    expect(events.map((event) => (event.data as { digital?: boolean }).digital)).toEqual([true, false]);
    expect(await count(h.db, 'SELECT 1 FROM products WHERE digital')).toBe(1);
  });
});
