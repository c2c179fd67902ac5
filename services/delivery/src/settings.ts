/** What an operator can tune through the environment, with the defaults. */
export interface DeliverySettings {
  /** DELIVERY_SILENCE_TIMEOUT_MS: a delivery in flight not heard from for this long fails with DRONE_LOST. */
  silenceTimeoutMs: number;
  /** DELIVERY_DRONE_WAIT_TIMEOUT_MS: a delivery no drone has picked up for this long fails with NO_DRONE_AVAILABLE. */
  droneWaitTimeoutMs: number;
  /** DELIVERY_WATCHDOG_INTERVAL_MS: how often the watchdog looks for silent deliveries. */
  watchdogIntervalMs: number;
  /** DELIVERY_WATCHDOG_BATCH: deliveries the watchdog judges per run at most; the rest in the runs that follow. */
  watchdogBatch: number;
  /** DELIVERY_RETENTION_SECONDS: how long a finished delivery stays readable after history recorded it. */
  retentionSeconds: number;
}

export const deliverySettingsDefaults: DeliverySettings = { silenceTimeoutMs: 60_000, droneWaitTimeoutMs: 600_000, watchdogIntervalMs: 5_000, watchdogBatch: 200, retentionSeconds: 3_600 };

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

export function readDeliverySettings(env: NodeJS.ProcessEnv = process.env): DeliverySettings {
  return {
    silenceTimeoutMs: positiveInteger(env, 'DELIVERY_SILENCE_TIMEOUT_MS', deliverySettingsDefaults.silenceTimeoutMs),
    droneWaitTimeoutMs: positiveInteger(env, 'DELIVERY_DRONE_WAIT_TIMEOUT_MS', deliverySettingsDefaults.droneWaitTimeoutMs),
    watchdogIntervalMs: positiveInteger(env, 'DELIVERY_WATCHDOG_INTERVAL_MS', deliverySettingsDefaults.watchdogIntervalMs),
    watchdogBatch: positiveInteger(env, 'DELIVERY_WATCHDOG_BATCH', deliverySettingsDefaults.watchdogBatch),
    retentionSeconds: positiveInteger(env, 'DELIVERY_RETENTION_SECONDS', deliverySettingsDefaults.retentionSeconds),
  };
}
