import { Type, type Static } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';

/** What an operator can tune through the environment, with the defaults. */
export const deliverySettingsSchema = Type.Object({
  silenceTimeoutMs: Type.Integer({ env: 'DELIVERY_SILENCE_TIMEOUT_MS', default: 60_000, minimum: 1, description: 'A delivery in flight not heard from for this long fails with DRONE_LOST.' }),
  droneWaitTimeoutMs: Type.Integer({ env: 'DELIVERY_DRONE_WAIT_TIMEOUT_MS', default: 600_000, minimum: 1, description: 'A delivery no drone has picked up for this long fails with NO_DRONE_AVAILABLE; deliveries beyond the fleet (DRONE_FLEET_SIZE) queue in order, up to DRONE_QUEUE_PER_DRONE per drone; drone-sim refuses the rest, which fail so.' }),
  watchdogIntervalMs: Type.Integer({ env: 'DELIVERY_WATCHDOG_INTERVAL_MS', default: 5_000, minimum: 1, description: 'How often the watchdog looks for silent deliveries.' }),
  watchdogBatch: Type.Integer({ env: 'DELIVERY_WATCHDOG_BATCH', default: 200, minimum: 1, description: 'Deliveries the watchdog judges per run at most; the rest in the runs that follow.' }),
  retentionSeconds: Type.Integer({ env: 'DELIVERY_RETENTION_SECONDS', default: 120, minimum: 1, description: 'How long delivery keeps a finished delivery after history recorded it; the gateway answers it from history after that.' }),
});

export type DeliverySettings = Static<typeof deliverySettingsSchema>;

export const deliverySettingsDefaults: DeliverySettings = readSettings(deliverySettingsSchema, {});

export function readDeliverySettings(env: NodeJS.ProcessEnv = process.env): DeliverySettings {
  return readSettings(deliverySettingsSchema, env);
}
