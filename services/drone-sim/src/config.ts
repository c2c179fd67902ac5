import { Type, type Static } from '@sinclair/typebox';
import { readSettings, validateSettings } from 'tributary/settings';

/** How the simulated fleet flies; every field has an environment variable. */
export const droneSimSettingsSchema = Type.Object({
  fleetSize: Type.Integer({ env: 'DRONE_FLEET_SIZE', default: 10, minimum: 1, maximum: 10_000, description: 'Drones in the simulated fleet.' }),
  // Drone ids must pass the contracts' Id pattern with `-<n>` appended (64 characters at most).
  idPrefix: Type.String({ env: 'DRONE_ID_PREFIX', default: 'drone', pattern: '^[A-Za-z0-9_-]{1,50}$', description: 'Drone ids are `<prefix>-<n>`; give each instance its own when running several.' }),
  speedMps: Type.Number({ env: 'DRONE_SPEED_MPS', default: 20, exclusiveMinimum: 0, maximum: 200, description: 'Simulated metres per simulated second.' }),
  tickMs: Type.Integer({ env: 'DRONE_TICK_MS', default: 500, minimum: 10, maximum: 60_000, description: 'Wall time between two readings of a flight.' }),
  timeScale: Type.Number({ env: 'DRONE_TIME_SCALE', default: 10, exclusiveMinimum: 0, maximum: 10_000, description: 'Simulated seconds per wall second.' }),
  failureRate: Type.Number({ env: 'DRONE_FAILURE_RATE', default: 0.05, minimum: 0, maximum: 1, description: 'The share of flights that fail.' }),
  seed: Type.String({ env: 'DRONE_SEED', default: 'tributary', minLength: 1, description: 'Decides which deliveries fail.' }),
  queuePerDrone: Type.Integer({ env: 'DRONE_QUEUE_PER_DRONE', default: 100, minimum: 1, maximum: 100_000, description: 'Jobs waiting for a free drone, at most, per drone of the fleet; a job beyond is refused and its delivery fails NO_DRONE_AVAILABLE after its wait.' }),
  seenLimit: Type.Integer({ env: 'DRONE_SEEN_LIMIT', default: 100_000, minimum: 1, maximum: 10_000_000, description: 'Delivery ids remembered to refuse a second flight.' }),
});

export type DroneSimConfig = Static<typeof droneSimSettingsSchema>;

export const droneSimDefaults: DroneSimConfig = readSettings(droneSimSettingsSchema, {});

/** Refuses a value naming its variable; a bad value stops the service at start-up. */
export function validateDroneSimConfig(config: DroneSimConfig): DroneSimConfig {
  return validateSettings(droneSimSettingsSchema, config);
}

export function readDroneSimConfig(env: NodeJS.ProcessEnv = process.env): DroneSimConfig {
  // drone-sim has always trimmed its variables (" 5 " is 5, " " is unset); the kit does not, so trim here.
  const trimmed = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value?.trim()]));
  return readSettings(droneSimSettingsSchema, trimmed);
}

/** Simulated seconds between two readings of a flight. */
export const stepSeconds = (config: Pick<DroneSimConfig, 'tickMs' | 'timeScale'>) => (config.tickMs * config.timeScale) / 1_000;
