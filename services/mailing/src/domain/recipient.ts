import { Type, type Static } from 'tributary';
import { Country, Id } from '@tributary/contracts';

/** Mailing's copy of a user: only what a mail needs (the book's User -> Mailing example). */
export const Recipient = Type.Object({
  userId: Id,
  name: Type.String(),
  email: Type.String({ minLength: 1 }),
  address: Type.Union([Type.String(), Type.Null()]),
  country: Country,
});
export type Recipient = Static<typeof Recipient>;
