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
  }),
});

export const catalogEvents = [ProductCreated] as const;
