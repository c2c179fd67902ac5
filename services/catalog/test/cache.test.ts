import { ProductChanged } from '@tributary/contracts';
import { describe, expect, it } from 'vitest';
import { createPublisher } from 'tributary';
import { createOutbox } from 'tributary/outbox';
import { testDatabases, waitFor } from 'tributary/testing';
import { metric, useCatalog, waitForSettled, type Harness } from './harness.ts';

const haggis = { sku: 'HAG-001', name: 'Haggis', priceCents: 1_250, stock: 40 };

async function createHaggis(h: Harness): Promise<{ id: string; priceCents: number; name: string }> {
  const created = await h.app.inject({ method: 'POST', url: '/products', payload: haggis });
  expect(created.statusCode).toBe(201);
  return created.json();
}

describe.each(testDatabases())('catalog product cache on $kind', (entry) => {
  const t = useCatalog(entry);

  it('serves the second read from the store Redis (cache key and hit metric), not from the table', async () => {
    const h = await t.setup();
    const product = await createHaggis(h);
    await waitForSettled(h.bus, 1);

    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);
    const key = `catalog:cache:{${product.id}}`;
    // The cached row also holds the initial stock, which replies leave out.
    expect(JSON.parse((await h.store.get(key)) ?? 'null')).toEqual({ found: true, value: { ...product, stock: 40 } });
    expect(await metric(h.app, 'tributary_cache_misses_total', { cache: 'catalog' })).toBe(1);

    // Changed behind catalog's back: a read that went to the table would see it.
    await h.db.query("UPDATE products SET name = 'Changed in SQL' WHERE id = $1", [product.id]);
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);
    expect(await metric(h.app, 'tributary_cache_hits_total', { cache: 'catalog', layer: 'redis' })).toBe(1);
    expect(await metric(h.app, 'tributary_cache_loads_total', { cache: 'catalog' })).toBe(1);
    const exposed = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(exposed.body).toMatch(/tributary_cache_hits_total\{[^}]*cache="catalog"[^}]*\} 1/);
  });

  it('caches an unknown id as "not found" and answers 404 from the cache', async () => {
    const h = await t.setup();
    const ghost = '00000000-0000-4000-8000-000000000000';
    for (let i = 0; i < 2; i++) {
      const response = await h.app.inject({ method: 'GET', url: `/products/${ghost}` });
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe('PRODUCT_NOT_FOUND');
    }
    expect(await h.store.get(`catalog:cache:{${ghost}}`)).toBe('{"found":false}');
    expect(await metric(h.app, 'tributary_cache_negative_hits_total', { cache: 'catalog' })).toBe(1);
  });

  it('a price change on one instance is seen at once by another sharing PostgreSQL and Redis', async () => {
    const h = await t.setup();
    const other = await h.another();
    const product = await createHaggis(h);
    await waitForSettled(h.bus, 1);
    expect((await other.inject({ method: 'GET', url: `/products/${product.id}` })).json().priceCents).toBe(1_250);
    expect((await other.inject({ method: 'GET', url: `/products/${product.id}` })).json().priceCents).toBe(1_250);
    expect(await metric(other, 'tributary_cache_hits_total', { cache: 'catalog' })).toBe(1);

    const patched = await h.app.inject({ method: 'PATCH', url: `/products/${product.id}`, payload: { priceCents: 999 } });
    expect(patched.statusCode).toBe(200);
    // No wait: the writer deleted the shared entry before it answered.
    expect((await other.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual({ ...product, priceCents: 999 });
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().priceCents).toBe(999);
  });

  it('a change whose writer died after COMMIT still reaches the cache, through catalog\'s own event', async () => {
    const h = await t.setup();
    const product = await createHaggis(h);
    await waitForSettled(h.bus, 1);
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().priceCents).toBe(1_250);

    // What a PATCH commits, without the after-commit step (as if the instance was killed right there).
    const publisher = createPublisher({ redis: h.bus, service: 'catalog' });
    const outbox = createOutbox({ db: h.db, publisher });
    await h.db.transaction(async (tx) => {
      await tx.query('UPDATE products SET price_cents = 777 WHERE id = $1', [product.id]);
      await outbox.add(tx, publisher.envelope(ProductChanged, { productId: product.id, changes: { priceCents: 777 } }));
    });
    await waitFor(async () => (await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().priceCents === 777, {
      timeoutMs: 20_000,
      description: 'the event invalidates the cached product',
    });
    expect(await h.store.zScore('catalog:products:by-price', product.id)).toBe(777);
  });

  it('cache: false reads straight from the table and writes no cache entry', async () => {
    const h = await t.setup({ cache: false });
    const product = await createHaggis(h);
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json()).toEqual(product);
    await h.db.query("UPDATE products SET name = 'Changed in SQL' WHERE id = $1", [product.id]);
    expect((await h.app.inject({ method: 'GET', url: `/products/${product.id}` })).json().name).toBe('Changed in SQL');
    expect(await h.store.keys('catalog:cache:*')).toEqual([]);
  });
});
