import { Type, type Static } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';

/** What an operator can tune through the environment, with the defaults. */
export const orderingSettingsSchema = Type.Object({
  // Far beyond a healthy saga (seconds), short enough for an operator to act the same day (stuck.ts).
  stuckAfterMs: Type.Integer({ env: 'ORDER_STUCK_AFTER_MS', default: 15 * 60 * 1000, minimum: 1, description: 'An order in a non-final status unchanged this long counts as stuck (metrics, dashboard).' }),
});

export type OrderingSettings = Static<typeof orderingSettingsSchema>;

export function readOrderingSettings(env: NodeJS.ProcessEnv = process.env): OrderingSettings {
  return readSettings(orderingSettingsSchema, env);
}
