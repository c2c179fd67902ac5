import { describe, expect, it } from 'vitest';
import { canonicalJson, duplicateProduct, MAX_TOTAL_CENTS, planOrder, priceRequest, requestHash } from './place-order.ts';

describe('planOrder', () => {
  it('sums quantity × unit price', () => {
    expect(planOrder({
      userId: 'u',
      items: [{ productId: 'a', quantity: 3, unitPriceCents: 250 }, { productId: 'b', quantity: 1, unitPriceCents: 0 }],
    })).toEqual({ ok: true, totalCents: 750 });
  });

  it('rejects a product listed twice', () => {
    const plan = planOrder({
      userId: 'u',
      items: [{ productId: 'a', quantity: 1, unitPriceCents: 1 }, { productId: 'a', quantity: 2, unitPriceCents: 1 }],
    });
    expect(plan).toMatchObject({ ok: false, code: 'DUPLICATE_PRODUCT' });
  });

  it('rejects a total beyond what an event can carry, computed exactly', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ productId: `p${i}`, quantity: 10_000, unitPriceCents: MAX_TOTAL_CENTS }));
    expect(planOrder({ userId: 'u', items })).toMatchObject({ ok: false, code: 'TOTAL_TOO_LARGE' });
    expect(planOrder({ userId: 'u', items: [{ productId: 'p', quantity: 1, unitPriceCents: MAX_TOTAL_CENTS }] }))
      .toEqual({ ok: true, totalCents: MAX_TOTAL_CENTS });
  });
});

describe('request hash', () => {
  it('ignores key order but not array order or values', () => {
    const a = { userId: 'u', items: [{ productId: 'p', quantity: 1, unitPriceCents: 5 }] };
    const b = { items: [{ unitPriceCents: 5, quantity: 1, productId: 'p' }], userId: 'u' };
    expect(canonicalJson(b)).toBe('{"items":[{"productId":"p","quantity":1,"unitPriceCents":5}],"userId":"u"}');
    expect(requestHash(a)).toBe(requestHash(b));
    expect(requestHash(a)).not.toBe(requestHash({ ...a, userId: 'v' }));
  });
});

describe('priceRequest', () => {
  const request = { userId: 'u', items: [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 1 }] };

  it('prices every line from the copy, in the request\'s order', () => {
    expect(priceRequest(request, new Map([['b', 5], ['a', 250]]))).toEqual({
      ok: true,
      order: { userId: 'u', items: [{ productId: 'a', quantity: 2, unitPriceCents: 250 }, { productId: 'b', quantity: 1, unitPriceCents: 5 }] },
    });
  });

  it('names every product without a price', () => {
    expect(priceRequest(request, new Map([['b', 5]]))).toEqual({ ok: false, missing: ['a'] });
    expect(priceRequest(request, new Map())).toEqual({ ok: false, missing: ['a', 'b'] });
  });

  it('finds the first product listed twice', () => {
    expect(duplicateProduct(request.items)).toBeNull();
    expect(duplicateProduct([...request.items, { productId: 'b' }, { productId: 'a' }])).toBe('b');
  });
});
