import fc from 'fast-check';
import { PackageCreated } from '@tributary/contracts';
import { deriveEventId } from 'tributary';
import { describe, expect, it } from 'vitest';
import { buildPackage, MissingUserError } from './build-package.ts';

const warehouse = { lat: 51.5072, lon: -0.1276 };

describe('buildPackage', () => {
  it('nothing physical, no package', () => {
    expect(buildPackage({ orderId: 'o-1', userId: 'u-1', digitalProductIds: ['ebook'] }, warehouse)).toBeNull();
    expect(buildPackage({ orderId: 'o-1', userId: 'u-1', physicalItems: [] }, warehouse)).toBeNull();
    expect(buildPackage({ orderId: 'o-1', physicalItems: [] }, warehouse)).toBeNull();
  });

  it('physical items without a user is an error, not a package for nobody', () => {
    expect(() => buildPackage({ orderId: 'o-1', physicalItems: [{ productId: 'tea', quantity: 1 }] }, warehouse)).toThrow(MissingUserError);
  });

  it('names the package after the order and picks it up at the warehouse', () => {
    const made = buildPackage({ orderId: 'o-1', userId: 'u-1', physicalItems: [{ productId: 'tea', quantity: 2 }], shipTo: { country: 'DE', address: null } }, warehouse);
    expect(made).toMatchObject({ packageId: deriveEventId('o-1', 'package'), orderId: 'o-1', userId: 'u-1', pickup: warehouse, size: 'SMALL', weightGrams: 1_000 });
  });

  it('every package it builds satisfies the PackageCreated contract', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(
        id,
        id,
        fc.array(fc.record({ productId: id, quantity: fc.integer({ min: 1, max: 10_000 }) }), { minLength: 1, maxLength: 100 }),
        fc.option(fc.record({ country: fc.stringMatching(/^[A-Z]{2}$/), address: fc.option(fc.string({ maxLength: 500 })) }), { nil: undefined }),
        (orderId, userId, physicalItems, shipTo) => {
          const made = buildPackage({ orderId, userId, physicalItems, ...(shipTo ? { shipTo } : {}) }, warehouse);
          expect(PackageCreated.validate(made)).toBeNull();
          expect(buildPackage({ orderId, userId, physicalItems, ...(shipTo ? { shipTo } : {}) }, warehouse)).toEqual(made);
        },
      ),
      { numRuns: 200 },
    );
  });
});
