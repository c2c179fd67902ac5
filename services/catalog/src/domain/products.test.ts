import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRequestedOrder, normalizeBannedCountries } from './products.ts';

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
