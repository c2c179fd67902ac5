import { Type } from 'tributary';

/** Public API schemas. Services validate again; the gateway rejects early with the same rules. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
export const Cents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'integer cents' });
export const ErrorReply = Type.Object({ error: Type.String(), message: Type.String() }, { description: 'error' });
export const IdParams = Type.Object({ id: Id });

export const User = Type.Object({
  id: Id,
  name: Type.String(),
  email: Type.String(),
  country: Country,
  address: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
export const NewUser = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' }),
    country: Country,
    balanceCents: Cents,
  },
  { additionalProperties: false },
);
export const UserPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' })),
    address: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    country: Type.Optional(Country),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const Account = Type.Object({ userId: Id, availableCents: Cents, reservedCents: Cents, spentCents: Cents });

export const Product = Type.Object({
  id: Id,
  sku: Type.String(),
  name: Type.String(),
  priceCents: Cents,
  stock: Type.Integer(),
  bannedCountries: Type.Array(Country),
  createdAt: Type.String(),
});
export const NewProduct = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    priceCents: Cents,
    stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    bannedCountries: Type.Optional(Type.Array(Country, { maxItems: 250, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export const ProductQuery = Type.Object(
  {
    sort: Type.Optional(Type.Union([Type.Literal('price'), Type.Literal('name'), Type.Literal('createdAt')])),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const NewOrder = Type.Object(
  {
    userId: Id,
    items: Type.Array(
      Type.Object({ productId: Id, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export const OrderAccepted = Type.Object({ orderId: Id, status: Type.String() });
export const Order = Type.Object({
  id: Id,
  userId: Id,
  totalCents: Cents,
  status: Type.String(),
  items: Type.Array(Type.Object({ productId: Id, quantity: Type.Integer(), unitPriceCents: Cents })),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  history: Type.Array(Type.Object({ status: Type.String(), at: Type.String() })),
  createdAt: Type.String(),
});
export const FailureCounts = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer()),
  total: Type.Integer(),
  recent: Type.Array(Type.Object({ orderId: Id, reason: Type.String(), at: Type.String() })),
});
