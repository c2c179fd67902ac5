import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRequestedOrder, normalizeBannedCountries, productChanges } from './products.ts';

describe('normalizeBannedCountries', () => {
  it('drops duplicates and sorts', () => {
    expect(normalizeBannedCountries(['US', 'GB', 'US', 'AU'])).toEqual(['AU', 'GB', 'US']);
    expect(normalizeBannedCountries([])).toEqual([]);
  });

  it('is idempotent and keeps exactly the distinct input values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Z]{2}$/), { maxLength: 30 }), (countries) => {
        const once = normalizeBannedCountries(countries);
        expect(normalizeBannedCountries(once)).toEqual(once);
        expect(new Set(once)).toEqual(new Set(countries));
        expect(once.length).toBe(new Set(countries).size);
      }),
    );
  });
});

describe('inRequestedOrder', () => {
  const p = (id: string) => ({ id, name: `product ${id}` });

  it('follows the requested order, skips unknown ids and collapses repeats', () => {
    expect(inRequestedOrder(['c', 'x', 'a', 'c', 'b'], [p('a'), p('b'), p('c')])).toEqual([p('c'), p('a'), p('b')]);
    expect(inRequestedOrder(['x'], [])).toEqual([]);
  });
});

describe('productChanges', () => {
  const current = { name: 'Haggis', priceCents: 1_250 };

  it('keeps only the fields whose value differs', () => {
    expect(productChanges(current, { priceCents: 1_300 })).toEqual({ priceCents: 1_300 });
    expect(productChanges(current, { name: 'Haggis', priceCents: 999 })).toEqual({ priceCents: 999 });
    expect(productChanges(current, { name: 'Neeps', priceCents: 1_250 })).toEqual({ name: 'Neeps' });
    expect(productChanges(current, { name: 'Neeps', priceCents: 0 })).toEqual({ name: 'Neeps', priceCents: 0 });
  });

  it('answers null when nothing changes', () => {
    expect(productChanges(current, {})).toBeNull();
    expect(productChanges(current, { name: 'Haggis' })).toBeNull();
    expect(productChanges(current, { name: 'Haggis', priceCents: 1_250 })).toBeNull();
  });
});
