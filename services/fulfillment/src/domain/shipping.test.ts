import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideShipment, mergeLines, parseShipReply, type ProductStock } from './shipping.ts';

const products = new Map<string, ProductStock>([
  ['haggis', { stock: 3, bannedCountries: ['US'] }],
  ['tea', { stock: 1, bannedCountries: [] }],
]);

describe('mergeLines', () => {
  it('sums quantities per product in order of first appearance', () => {
    expect(mergeLines([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }])).toEqual([
      { productId: 'b', quantity: 4 },
      { productId: 'a', quantity: 2 },
    ]);
  });

  it('keeps the total quantity and makes products distinct', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ productId: fc.constantFrom('a', 'b', 'c'), quantity: fc.integer({ min: 1, max: 10 }) })), (items) => {
        const merged = mergeLines(items);
        expect(new Set(merged.map((line) => line.productId)).size).toBe(merged.length);
        expect(merged.reduce((sum, line) => sum + line.quantity, 0)).toBe(items.reduce((sum, line) => sum + line.quantity, 0));
      }),
    );
  });
});

describe('decideShipment', () => {
  it('unknown products come first: nothing is decided until every product is known', () => {
    const { reply } = decideShipment(products, 'US', [{ productId: 'haggis', quantity: 9 }, { productId: 'ghost', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'UNKNOWN_PRODUCT', productIds: ['ghost'] });
  });

  it('a banned product wins over a stock shortage', () => {
    const { reply, stockAfter } = decideShipment(products, 'US', [{ productId: 'tea', quantity: 5 }, { productId: 'haggis', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: ['haggis'] });
    expect(stockAfter.get('haggis')).toBe(3);
  });

  it('a shortage names the short products and takes nothing', () => {
    const { reply, stockAfter } = decideShipment(products, 'GB', [{ productId: 'haggis', quantity: 2 }, { productId: 'tea', quantity: 2 }]);
    expect(reply).toEqual({ outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: ['tea'] });
    expect([...stockAfter]).toEqual([['haggis', 3], ['tea', 1]]);
  });

  it('ships by taking every line from stock', () => {
    const { reply, stockAfter } = decideShipment(products, 'GB', [{ productId: 'haggis', quantity: 2 }, { productId: 'tea', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'SHIPPED' });
    expect([...stockAfter]).toEqual([['haggis', 1], ['tea', 0]]);
  });

  it('never leaves stock negative', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ productId: fc.constantFrom('haggis', 'tea'), quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1 }), (items) => {
        for (const stock of decideShipment(products, 'GB', items).stockAfter.values()) expect(stock).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('parseShipReply', () => {
  it('accepts the script replies and rejects anything else', () => {
    expect(parseShipReply('{"outcome":"SHIPPED"}')).toEqual({ outcome: 'SHIPPED' });
    expect(parseShipReply('{"productIds":["a"],"outcome":"SHIPMENT_FAILED_OUT_OF_STOCK"}')).toEqual({ outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: ['a'] });
    expect(() => parseShipReply('{"outcome":"LOST"}')).toThrow();
    expect(() => parseShipReply('{"outcome":"SHIPMENT_FAILED_BANNED_PRODUCT","productIds":[]}')).toThrow();
    expect(() => parseShipReply(1)).toThrow();
  });
});
