import { Cents, Country, Id } from '@tributary/contracts';
import { Type } from 'tributary';
import { ErrorBody } from 'tributary/http';

/** Request and response shapes of the accounts HTTP API. Unknown properties are rejected, so a typo is a 400, not a silent no-op. */
const Name = Type.String({ minLength: 1, maxLength: 200 });
// Deliberately loose ("contains @"): real validation is a confirmation mail.
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });
// Null first: the kit's Ajv coerces types, and with String first a JSON null
// would be coerced to "" instead of matching Null.
const Address = Type.Union([Type.Null(), Type.String({ maxLength: 500 })]);

export const UserParams = Type.Object({ id: Id }, { additionalProperties: false });
export const EmailParams = Type.Object({ email: Email }, { additionalProperties: false });

export const CreateUserBody = Type.Object(
  { name: Name, email: Email, country: Country, balanceCents: Cents, address: Type.Optional(Address) },
  { additionalProperties: false },
);

export const PatchUserBody = Type.Object(
  { name: Type.Optional(Name), email: Type.Optional(Email), address: Type.Optional(Address), country: Type.Optional(Country) },
  { additionalProperties: false, minProperties: 1 },
);

export const UserReply = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  country: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const AccountReply = Type.Object({
  userId: Type.String(),
  availableCents: Type.Integer(),
  reservedCents: Type.Integer(),
  spentCents: Type.Integer(),
});

export { ErrorBody };
