import { Type } from 'tributary';

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Cents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 });
export const Quantity = Type.Integer({ minimum: 1, maximum: 10_000 });
/** ISO 3166-1 alpha-2, upper case. */
export const Country = Type.String({ pattern: '^[A-Z]{2}$' });
