/** How the simulated fleet flies; every field has an environment variable (see readDroneSimConfig). */
export interface DroneSimConfig {
  /** DRONE_FLEET_SIZE */
  fleetSize: number;
  /** DRONE_ID_PREFIX: drone ids are `<prefix>-<n>`; give each instance its own when running several. */
  idPrefix: string;
  /** DRONE_SPEED_MPS, simulated metres per simulated second. */
  speedMps: number;
  /** DRONE_TICK_MS, wall time between two readings of a flight. */
  tickMs: number;
  /** DRONE_TIME_SCALE, simulated seconds per wall second. */
  timeScale: number;
  /** DRONE_FAILURE_RATE, the share of flights that fail, 0..1. */
  failureRate: number;
  /** DRONE_SEED, decides which deliveries fail. */
  seed: string;
  /** DRONE_SEEN_LIMIT, delivery ids remembered to refuse a second flight. */
  seenLimit: number;
}

export const droneSimDefaults: DroneSimConfig = {
  fleetSize: 10,
  idPrefix: 'drone',
  speedMps: 20,
  tickMs: 500,
  timeScale: 10,
  failureRate: 0.05,
  seed: 'tributary',
  seenLimit: 100_000,
};

/** Drone ids must pass the contracts' Id pattern with `-<n>` appended (64 characters at most). */
const ID_PREFIX = /^[A-Za-z0-9_-]{1,50}$/;

type NumberRule = { integer?: boolean; min: number; max: number; minExclusive?: boolean };

const numberRules: Record<Exclude<keyof DroneSimConfig, 'idPrefix' | 'seed'>, NumberRule & { env: string }> = {
  fleetSize: { env: 'DRONE_FLEET_SIZE', integer: true, min: 1, max: 10_000 },
  speedMps: { env: 'DRONE_SPEED_MPS', min: 0, max: 200, minExclusive: true },
  tickMs: { env: 'DRONE_TICK_MS', integer: true, min: 10, max: 60_000 },
  timeScale: { env: 'DRONE_TIME_SCALE', min: 0, max: 10_000, minExclusive: true },
  failureRate: { env: 'DRONE_FAILURE_RATE', min: 0, max: 1 },
  seenLimit: { env: 'DRONE_SEEN_LIMIT', integer: true, min: 1, max: 10_000_000 },
};

/** Throws a message naming the variable; a bad value stops the service at start-up. */
export function validateDroneSimConfig(config: DroneSimConfig): DroneSimConfig {
  for (const [field, rule] of Object.entries(numberRules) as Array<[keyof typeof numberRules, NumberRule & { env: string }]>) {
    const value = config[field];
    const ok = Number.isFinite(value) && (!rule.integer || Number.isInteger(value))
      && (rule.minExclusive ? value > rule.min : value >= rule.min) && value <= rule.max;
    if (!ok) {
      const range = `${rule.minExclusive ? '>' : '>='} ${rule.min} and <= ${rule.max}`;
      throw new Error(`${rule.env} must be ${rule.integer ? 'an integer' : 'a number'} ${range}, got ${value}`);
    }
  }
  if (!ID_PREFIX.test(config.idPrefix)) throw new Error(`DRONE_ID_PREFIX must match ${ID_PREFIX}, got ${JSON.stringify(config.idPrefix)}`);
  if (config.seed === '') throw new Error('DRONE_SEED must not be empty');
  return config;
}

export function readDroneSimConfig(env: NodeJS.ProcessEnv = process.env): DroneSimConfig {
  const text = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const config: DroneSimConfig = { ...droneSimDefaults };
  for (const [field, rule] of Object.entries(numberRules) as Array<[keyof typeof numberRules, { env: string }]>) {
    const raw = text(rule.env);
    // Number('') is 0 and Number(' 5 ') is 5: only a present, trimmed value counts.
    if (raw !== undefined) config[field] = Number(raw);
  }
  config.idPrefix = text('DRONE_ID_PREFIX') ?? config.idPrefix;
  config.seed = text('DRONE_SEED') ?? config.seed;
  return validateDroneSimConfig(config);
}

/** Simulated seconds between two readings of a flight. */
export const stepSeconds = (config: Pick<DroneSimConfig, 'tickMs' | 'timeScale'>) => (config.tickMs * config.timeScale) / 1_000;
