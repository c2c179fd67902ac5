import { describe, expect, it } from 'vitest';
import { describeParcel, sizeFor, weightFor } from './parcel.ts';

describe('parcel rules', () => {
  it('size by unit count: 1-2 SMALL, 3-10 MEDIUM, 11+ LARGE', () => {
    expect([1, 2, 3, 10, 11, 1_000].map(sizeFor)).toEqual(['SMALL', 'SMALL', 'MEDIUM', 'MEDIUM', 'LARGE', 'LARGE']);
  });

  it('500 g per unit, capped at the contract maximum', () => {
    expect(weightFor(1)).toBe(500);
    expect(weightFor(7)).toBe(3_500);
    expect(weightFor(100 * 10_000)).toBe(100_000_000);
  });

  it('tags: weight class, size, multi-item, destination country in lower case', () => {
    expect(describeParcel([{ productId: 'tea', quantity: 1 }], 'GB')).toEqual({ size: 'SMALL', weightGrams: 500, tags: ['standard', 'size-small', 'country-gb'] });
    expect(describeParcel([{ productId: 'tea', quantity: 10 }], null)).toEqual({ size: 'MEDIUM', weightGrams: 5_000, tags: ['standard', 'size-medium', 'multi-item'] });
    // Over 5 kg is heavy, whether by one line or several.
    expect(describeParcel([{ productId: 'tea', quantity: 6 }, { productId: 'haggis', quantity: 5 }], 'US')).toEqual({
      size: 'LARGE',
      weightGrams: 5_500,
      tags: ['heavy', 'size-large', 'multi-item', 'country-us'],
    });
  });
});
