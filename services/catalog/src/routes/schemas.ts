import { Cents, Country, Id } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';

/** Request and response shapes of the catalog HTTP API. Unknown properties are rejected, so a typo is a 400, not a silent default. */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const ProductParams = Type.Object({ id: Id }, { additionalProperties: false });

export const CreateProductBody = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    priceCents: Cents,
    // The initial stock, handed to fulfillment in ProductCreated: fulfillment owns it from then on
    // (GET /stock/:productId there). An int4 column; a billion units is beyond any real shelf.
    stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    bannedCountries: Type.Optional(Type.Array(Country, { maxItems: 250 })),
    /** An e-book and the like: no stock is counted and nothing is shipped. */
    digital: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** At least one field; sku, stock and the rest are not changed through this route. */
export const PatchProductBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    priceCents: Type.Optional(Cents),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListQuery = Type.Object(
  {
    sort: Type.Optional(Type.Union([Type.Literal('price'), Type.Literal('name'), Type.Literal('createdAt')])),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  },
  { additionalProperties: false },
);

export const LookupBody = Type.Object({ ids: Type.Array(Id, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });

/**
 * No `stock`: the catalog only knows what a product started with, while
 * fulfillment decrements the real count as it ships (no event reports the
 * count), so a catalog figure would be a stale one presented as current.
 */
export const ProductReply = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  bannedCountries: Type.Array(Type.String()),
  digital: Type.Boolean(),
  createdAt: Type.String(),
});

export const ListReply = Type.Object({ items: Type.Array(ProductReply), total: Type.Integer() });
export const LookupReply = Type.Object({ items: Type.Array(ProductReply) });

export { ErrorBody };
