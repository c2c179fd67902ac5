import { describe, expect, it } from 'vitest';
import { basketView } from './basket.ts';
import { MAX_TOTAL_CENTS, nextSweepDelay, planCheckout } from './checkout.ts';

const products = new Map([
  ['abc', { name: 'Haggis', priceCents: 1_250 }],
  ['xyz', { name: 'Tea', priceCents: 300 }],
]);

describe('basketView', () => {
  it('prices each line with the copy, sorts by product id and totals', () => {
    const view = basketView('123', [{ productId: 'xyz', quantity: 1 }, { productId: 'abc', quantity: 2 }], products, null);
    expect(view).toEqual({
      userId: '123',
      items: [
        { productId: 'abc', name: 'Haggis', quantity: 2, unitPriceCents: 1_250, lineTotalCents: 2_500 },
        { productId: 'xyz', name: 'Tea', quantity: 1, unitPriceCents: 300, lineTotalCents: 300 },
      ],
      totalCents: 2_800,
      checkout: null,
    });
  });

  it('leaves out a line it cannot price', () => {
    expect(basketView('1', [{ productId: 'gone', quantity: 1 }], products, { orderId: 'o' })).toEqual({
      userId: '1', items: [], totalCents: 0, checkout: { orderId: 'o' },
    });
  });
});

describe('planCheckout', () => {
  it('snapshots every line with the basket price', () => {
    expect(planCheckout([{ productId: 'abc', quantity: 2 }], products)).toEqual({
      ok: true, items: [{ productId: 'abc', quantity: 2, unitPriceCents: 1_250 }], totalCents: 2_500,
    });
    expect(planCheckout([], products)).toEqual({ ok: true, items: [], totalCents: 0 });
  });

  it('refuses an unpriced product and a total an event cannot carry', () => {
    expect(planCheckout([{ productId: 'nope', quantity: 1 }], products)).toMatchObject({ ok: false, code: 'UNKNOWN_PRODUCT' });
    const dear = new Map([['d', { name: 'Diamond', priceCents: MAX_TOTAL_CENTS }]]);
    expect(planCheckout([{ productId: 'd', quantity: 1 }], dear)).toMatchObject({ ok: true, totalCents: MAX_TOTAL_CENTS });
    expect(planCheckout([{ productId: 'd', quantity: 2 }], dear)).toMatchObject({ ok: false, code: 'TOTAL_TOO_LARGE' });
  });
});

describe('nextSweepDelay', () => {
  it('grows with the age of the checkout, within bounds', () => {
    const timing = { afterMs: 5_000, maxDelayMs: 300_000 };
    expect(nextSweepDelay(1_000, timing)).toBe(5_000);
    expect(nextSweepDelay(40_000, timing)).toBe(40_000);
    expect(nextSweepDelay(10_000_000, timing)).toBe(300_000);
  });
});
