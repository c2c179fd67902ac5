import { defineEvent, Type } from 'tributary';
import { Id, Quantity } from './common.ts';
import { GeoPoint } from './geo.ts';

export const PACKAGE_SIZES = ['SMALL', 'MEDIUM', 'LARGE'] as const;

/**
 * A shipped order became a package to fly: made by package from fulfillment's
 * OrderShipped (one package per order with physical items). `packageId` is
 * derived from the order id, so a redelivered OrderShipped names the same one.
 */
export const PackageCreated = defineEvent({
  source: 'package',
  type: 'PackageCreated',
  version: 1,
  schema: Type.Object({
    packageId: Id,
    orderId: Id,
    userId: Id,
    size: Type.Union(PACKAGE_SIZES.map((size) => Type.Literal(size))),
    weightGrams: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    tags: Type.Array(Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$' }), { maxItems: 20 }),
    items: Type.Array(Type.Object({ productId: Id, quantity: Quantity }), { minItems: 1, maxItems: 100 }),
    pickup: GeoPoint,
    dropoff: GeoPoint,
  }),
});

export const packageEvents = [PackageCreated] as const;
