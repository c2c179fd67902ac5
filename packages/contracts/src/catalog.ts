import { defineEvent, Type } from 'tributary';
import { Cents, Country, Id } from './common.ts';

export const ProductCreated = defineEvent({
  source: 'catalog',
  type: 'ProductCreated',
  version: 1,
  schema: Type.Object({
    productId: Id,
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    priceCents: Cents,
    /** Initial stock; from here on fulfillment owns stock. */
    stock: Type.Integer({ minimum: 0 }),
    bannedCountries: Type.Array(Country, { maxItems: 250 }),
    /**
     * An e-book and the like: mailing "sends" it, fulfillment neither counts
     * stock for it nor ships it. Optional so v1 entries written before the
     * field existed stay valid; absent means false.
     */
    digital: Type.Optional(Type.Boolean()),
  }),
});

/**
 * A product's name or price changed. `changes` carries only what changed, so
 * a consumer that copies prices (basket) never overwrites a newer value with
 * an unchanged one it did not ask for.
 */
export const ProductChanged = defineEvent({
  source: 'catalog',
  type: 'ProductChanged',
  version: 1,
  schema: Type.Object({
    productId: Id,
    changes: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        priceCents: Type.Optional(Cents),
      },
      { minProperties: 1, additionalProperties: false },
    ),
  }),
});

export const catalogEvents = [ProductCreated, ProductChanged] as const;
