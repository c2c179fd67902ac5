import { defineEvent, Type } from 'tributary';
import { Cents, Country, Id } from './common.ts';

/**
 * Payments have a stream of their own, trimmed like the saga's: they are
 * steps of orders, not the lifecycle of users, and on `accounts:events`
 * (kept whole, so copies of users can be rebuilt from it) they made that
 * stream grow by two or three entries per order for ever.
 */
export const PAYMENTS_STREAM = 'accounts:payments';

export const UserRegistered = defineEvent({
  source: 'accounts',
  type: 'UserRegistered',
  version: 1,
  schema: Type.Object({
    userId: Id,
    name: Type.String(),
    email: Type.String(),
    country: Country,
    /** Optional so entries written before the field existed stay valid. */
    address: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  }),
});

/**
 * PATCH /api/users/:id: `changes` carries only the fields that changed (the
 * book's User -> Mailing example), never the whole profile. A consumer applies
 * the fields present and keeps the rest of its copy.
 */
export const UserProfileChanged = defineEvent({
  source: 'accounts',
  type: 'UserProfileChanged',
  version: 1,
  schema: Type.Object({
    userId: Id,
    changes: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
        address: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
        country: Type.Optional(Country),
      },
      { minProperties: 1, additionalProperties: false },
    ),
  }),
});

/** PAID in the book: the order's total is reserved from the user's balance. */
export const PaymentReserved = defineEvent({
  source: 'accounts',
  type: 'PaymentReserved',
  version: 1,
  stream: PAYMENTS_STREAM,
  schema: Type.Object({ orderId: Id, userId: Id, amountCents: Cents, country: Country }),
});

export const PaymentFailed = defineEvent({
  source: 'accounts',
  type: 'PaymentFailed',
  version: 1,
  stream: PAYMENTS_STREAM,
  schema: Type.Object({
    orderId: Id,
    userId: Id,
    reason: Type.Union([Type.Literal('FAILED_PAYMENT_NO_FUNDS'), Type.Literal('FAILED_PAYMENT_UNKNOWN_USER')]),
  }),
});

/** The final deduction of a reservation once the order completed. */
export const PaymentCaptured = defineEvent({
  source: 'accounts',
  type: 'PaymentCaptured',
  version: 1,
  stream: PAYMENTS_STREAM,
  schema: Type.Object({ orderId: Id, userId: Id, amountCents: Cents }),
});

/** REFUNDED in the book: the reservation went back to the available balance. */
export const PaymentRefunded = defineEvent({
  source: 'accounts',
  type: 'PaymentRefunded',
  version: 1,
  stream: PAYMENTS_STREAM,
  schema: Type.Object({ orderId: Id, userId: Id, amountCents: Cents }),
});

export const paymentEvents = [PaymentReserved, PaymentFailed, PaymentCaptured, PaymentRefunded] as const;

export const accountsEvents = [UserRegistered, UserProfileChanged, ...paymentEvents] as const;

/**
 * Where accounts published the payment events until they moved to
 * PAYMENTS_STREAM. Their consumers (ordering) keep handling them there too
 * (`formerlyOn(PaymentReserved, FORMER_PAYMENTS_STREAM)`) through the
 * transition: entries written before the upgrade, and rows an older accounts
 * left in its outbox, are there (docs/operations.md, "Payments moved to
 * their own stream").
 */
export const FORMER_PAYMENTS_STREAM = 'accounts:events';
