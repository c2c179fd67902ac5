import { Type, type Static } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';

/** What an operator can tune through the environment, with the defaults. */
export const basketSettingsSchema = Type.Object({
  ttlSeconds: Type.Integer({ env: 'BASKET_TTL_SECONDS', default: 7 * 24 * 60 * 60, minimum: 1, description: 'How long an untouched basket lives; every write sets it again.' }),
});

export type BasketSettings = Static<typeof basketSettingsSchema>;

export function readBasketSettings(env: NodeJS.ProcessEnv = process.env): BasketSettings {
  return readSettings(basketSettingsSchema, env);
}
