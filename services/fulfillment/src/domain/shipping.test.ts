import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideShipment, mergeLines, parseShipReply, physicalLines, type ProductStock } from './shipping.ts';

const products = new Map<string, ProductStock>([
  ['haggis', { stock: 3, bannedCountries: ['US'], digital: false }],
  ['tea', { stock: 1, bannedCountries: [], digital: false }],
  ['ebook', { stock: 0, bannedCountries: ['FR'], digital: true }],
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

describe('physicalLines', () => {
  it('keeps the lines whose product is not digital, in order', () => {
    const lines = [{ productId: 'ebook', quantity: 1 }, { productId: 'tea', quantity: 3 }, { productId: 'haggis', quantity: 2 }];
    expect(physicalLines(lines, ['ebook'])).toEqual([{ productId: 'tea', quantity: 3 }, { productId: 'haggis', quantity: 2 }]);
    expect(physicalLines(lines, [])).toEqual(lines);
    expect(physicalLines(lines, ['ebook', 'tea', 'haggis'])).toEqual([]);
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
    expect([...stockAfter]).toEqual([['haggis', 3], ['tea', 1], ['ebook', 0]]);
  });

  it('ships by taking every line from stock', () => {
    const { reply, stockAfter } = decideShipment(products, 'GB', [{ productId: 'haggis', quantity: 2 }, { productId: 'tea', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect([...stockAfter]).toEqual([['haggis', 1], ['tea', 0], ['ebook', 0]]);
  });

  it('a digital product needs no stock, takes none, and is listed', () => {
    const { reply, stockAfter } = decideShipment(products, 'GB', [{ productId: 'ebook', quantity: 7 }, { productId: 'tea', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'SHIPPED', digitalProductIds: ['ebook'] });
    expect([...stockAfter]).toEqual([['haggis', 3], ['tea', 0], ['ebook', 0]]);
  });

  it('a digital product is still banned where it is banned', () => {
    const { reply } = decideShipment(products, 'FR', [{ productId: 'tea', quantity: 1 }, { productId: 'ebook', quantity: 1 }]);
    expect(reply).toEqual({ outcome: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: ['ebook'] });
  });

  it('a physical shortage fails a mixed order, naming only the physical product', () => {
    const { reply, stockAfter } = decideShipment(products, 'GB', [{ productId: 'ebook', quantity: 1 }, { productId: 'tea', quantity: 2 }]);
    expect(reply).toEqual({ outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: ['tea'] });
    expect(stockAfter.get('tea')).toBe(1);
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
    expect(parseShipReply('{"outcome":"SHIPPED"}')).toEqual({ outcome: 'SHIPPED', digitalProductIds: [] });
    expect(parseShipReply('{"digitalProductIds":["e"],"outcome":"SHIPPED"}')).toEqual({ outcome: 'SHIPPED', digitalProductIds: ['e'] });
    expect(parseShipReply('{"productIds":["a"],"outcome":"SHIPMENT_FAILED_OUT_OF_STOCK"}')).toEqual({ outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: ['a'] });
    expect(() => parseShipReply('{"outcome":"LOST"}')).toThrow();
    expect(() => parseShipReply('{"outcome":"SHIPMENT_FAILED_BANNED_PRODUCT","productIds":[]}')).toThrow();
    expect(() => parseShipReply(1)).toThrow();
  });
});
