import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { basketKeys } from '../src/store/keys.ts';
import { useBasket } from './harness.ts';

const t = useBasket();

describe('the basket is the book\'s Table 2-1 sorted set', () => {
  it('ZADD usr:123 2 abc / 1 xyz / 1 efg: score = quantity, member = product id, under the basket: prefix', async () => {
    const service = await t.start();
    await t.registerUser('123');
    await t.createProduct({ productId: 'abc', name: 'Haggis', priceCents: 1_250 });
    await t.createProduct({ productId: 'xyz', name: 'Tea', priceCents: 300 });
    await t.createProduct({ productId: 'efg', name: 'Shortbread', priceCents: 450 });

    for (const [productId, quantity] of [['abc', 2], ['xyz', 1], ['efg', 1]] as const) {
      expect((await t.put(service.app, '123', productId, quantity)).status).toBe(200);
    }

    expect(basketKeys.basket('123')).toBe('basket:{usr:123}');
    expect(await t.store.sendCommand(['TYPE', 'basket:{usr:123}'])).toBe('zset');
    expect(await t.store.sendCommand(['ZRANGE', 'basket:{usr:123}', '0', '-1', 'WITHSCORES'])).toEqual(['efg', '1', 'xyz', '1', 'abc', '2']);
    // The basket key holds nothing but Table 2-1: no names, no prices (the user's "known" marker is a key of its own).
    const keys = (await t.store.sendCommand<string[]>(['KEYS', 'basket:{usr:123}*'])).sort();
    expect(keys).toEqual(['basket:{usr:123}', 'basket:{usr:123}:known']);

    const view = await t.request(service.app, 'GET', '/baskets/123');
    expect(view).toEqual({
      status: 200,
      body: {
        userId: '123',
        items: [
          { productId: 'abc', name: 'Haggis', quantity: 2, unitPriceCents: 1_250, lineTotalCents: 2_500 },
          { productId: 'efg', name: 'Shortbread', quantity: 1, unitPriceCents: 450, lineTotalCents: 450 },
          { productId: 'xyz', name: 'Tea', quantity: 1, unitPriceCents: 300, lineTotalCents: 300 },
        ],
        totalCents: 3_250,
        checkout: null,
      },
    });
  });

  it('PUT sets (not adds) the quantity, quantity 0 and DELETE remove; a known user\'s untouched basket is empty', async () => {
    const service = await t.start();
    await t.registerUser('u1');
    await t.registerUser('fresh');
    const tea = await t.createProduct({ priceCents: 300 });
    const cake = await t.createProduct({ priceCents: 700 });
    await t.put(service.app, 'u1', tea, 3);
    const set = await t.put(service.app, 'u1', tea, 5);
    expect(set.body).toMatchObject({ items: [{ productId: tea, quantity: 5, lineTotalCents: 1_500 }], totalCents: 1_500 });
    await t.put(service.app, 'u1', cake, 1);

    const zero = await t.put(service.app, 'u1', tea, 0);
    expect(zero.status).toBe(200);
    expect(zero.body).toMatchObject({ items: [{ productId: cake, quantity: 1 }], totalCents: 700 });
    const deleted = await t.request(service.app, 'DELETE', `/baskets/u1/items/${cake}`);
    expect(deleted).toEqual({ status: 200, body: { userId: 'u1', items: [], totalCents: 0, checkout: null } });
    // Deleting what is not there is fine too.
    expect((await t.request(service.app, 'DELETE', `/baskets/u1/items/${cake}`)).status).toBe(200);
    expect(await t.store.sendCommand(['EXISTS', basketKeys.basket('u1')])).toBe(0);

    expect(await t.request(service.app, 'GET', '/baskets/fresh')).toEqual({
      status: 200, body: { userId: 'fresh', items: [], totalCents: 0, checkout: null },
    });
  });
});

describe('expiry after inactivity', () => {
  it('every write sets the TTL again (BASKET_TTL_SECONDS)', async () => {
    const service = await t.start({ ttlSeconds: 3_600 });
    await t.registerUser('u-ttl');
    const tea = await t.createProduct();
    const cake = await t.createProduct();
    const key = basketKeys.basket('u-ttl');
    await t.put(service.app, 'u-ttl', tea, 1);
    const ttl = await t.store.sendCommand<number>(['TTL', key]);
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);

    // Shorten it by hand; each kind of write must restore the full TTL.
    for (const write of [
      () => t.put(service.app, 'u-ttl', tea, 4),
      () => t.put(service.app, 'u-ttl', cake, 2),
      () => t.request(service.app, 'DELETE', `/baskets/u-ttl/items/${cake}`),
    ]) {
      await t.store.sendCommand(['EXPIRE', key, '10']);
      await write();
      expect(await t.store.sendCommand<number>(['TTL', key])).toBeGreaterThan(3_500);
    }
    // Reading is not activity.
    await t.store.sendCommand(['EXPIRE', key, '10']);
    await t.request(service.app, 'GET', '/baskets/u-ttl');
    expect(await t.store.sendCommand<number>(['TTL', key])).toBeLessThanOrEqual(10);
  });

  it('a basket left alone expires and reads as empty', async () => {
    const service = await t.start({ ttlSeconds: 1 });
    await t.registerUser('u-gone');
    const tea = await t.createProduct();
    await t.put(service.app, 'u-gone', tea, 2);
    await waitFor(async () => (await t.store.sendCommand<number>(['EXISTS', basketKeys.basket('u-gone')])) === 0, {
      timeoutMs: 5_000, description: 'basket expired',
    });
    expect((await t.request(service.app, 'GET', '/baskets/u-gone')).body).toMatchObject({ items: [], totalCents: 0 });
  });
});

describe('bad input changes nothing', () => {
  it('404 USER_NOT_FOUND on every route for a user accounts never registered, with nothing written; known once registered', async () => {
    const service = await t.start();
    const tea = await t.createProduct();
    const before = (await t.store.sendCommand<string[]>(['KEYS', '*'])).sort();
    for (const [method, url, body] of [
      ['PUT', `/baskets/ghost/items/${tea}`, { quantity: 1 }],
      ['DELETE', `/baskets/ghost/items/${tea}`, undefined],
      ['GET', '/baskets/ghost', undefined],
      ['POST', '/baskets/ghost/checkout', undefined],
    ] as const) {
      expect(await t.request(service.app, method, url, body), `${method} ${url}`).toEqual({ status: 404, body: { error: 'USER_NOT_FOUND', message: expect.any(String) } });
    }
    expect((await t.store.sendCommand<string[]>(['KEYS', '*'])).sort()).toEqual(before);
    expect(await t.checkoutEvents()).toEqual([]);

    await t.registerUser('ghost');
    expect((await t.put(service.app, 'ghost', tea, 1)).status).toBe(200);
  });

  it('422 UNKNOWN_PRODUCT for a product the basket has no price for', async () => {
    const service = await t.start();
    await t.registerUser('u2');
    const reply = await t.put(service.app, 'u2', 'never-created', 1);
    expect(reply).toEqual({ status: 422, body: { error: 'UNKNOWN_PRODUCT', message: expect.any(String) } });
    expect(await t.store.sendCommand(['EXISTS', basketKeys.basket('u2')])).toBe(0);
  });

  it('400 for a bad quantity, a malformed body or malformed ids', async () => {
    const service = await t.start();
    await t.registerUser('u3');
    const tea = await t.createProduct();
    await t.put(service.app, 'u3', tea, 2);
    const bodies: unknown[] = [
      { quantity: -1 }, { quantity: 10_001 }, { quantity: 1.5 }, { quantity: '2' }, { quantity: null }, { quantity: true },
      {}, { quantity: 1, extra: 1 }, [{ quantity: 1 }],
    ];
    for (const body of bodies) {
      const reply = await t.request(service.app, 'PUT', `/baskets/u3/items/${tea}`, body);
      expect(reply, JSON.stringify(body)).toEqual({ status: 400, body: { error: 'VALIDATION_FAILED', message: expect.any(String) } });
    }
    const notJson = await service.app.inject({ method: 'PUT', url: `/baskets/u3/items/${tea}`, headers: { 'content-type': 'application/json' }, payload: '{"quantity":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: 'INVALID_JSON' });
    for (const url of [`/baskets/bad%20user/items/${tea}`, '/baskets/u3/items/bad%20product', `/baskets/${'x'.repeat(65)}/items/${tea}`]) {
      expect((await t.request(service.app, 'PUT', url, { quantity: 1 })).status, url).toBe(400);
    }
    expect((await t.request(service.app, 'GET', '/baskets/bad%20user')).status).toBe(400);
    expect((await t.request(service.app, 'POST', '/baskets/bad%20user/checkout')).status).toBe(400);
    expect(await t.store.sendCommand(['ZRANGE', basketKeys.basket('u3'), '0', '-1', 'WITHSCORES'])).toEqual([tea, '2']);
  });

  it('422 BASKET_FULL for a 101st product (a checkout carries at most 100); changing a present one still works', async () => {
    const service = await t.start();
    await t.registerUser('u4');
    const ids = Array.from({ length: 101 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    for (const productId of ids) await t.createProduct({ productId, priceCents: 1 });
    for (const productId of ids.slice(0, 100)) expect((await t.put(service.app, 'u4', productId, 1)).status).toBe(200);
    const full = await t.put(service.app, 'u4', ids[100] as string, 1);
    expect(full).toEqual({ status: 422, body: { error: 'BASKET_FULL', message: expect.any(String) } });
    expect(await t.store.sendCommand(['ZCARD', basketKeys.basket('u4')])).toBe(100);
    expect((await t.put(service.app, 'u4', ids[0] as string, 7)).status).toBe(200);
  });
});
