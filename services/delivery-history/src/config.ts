import { join } from 'node:path';

/**
 * What delivery-history reads from the environment besides the kit's service
 * config (ports, Redis and database URLs). Shared by main.ts and the archive
 * CLI, so both see the same lake and the same retention.
 */
export interface HistoryConfig {
  /** Root of the data lake; Parquet files go under `<lakeDir>/deliveries/`. */
  lakeDir: string;
  /** The lake writer runs this often... */
  lakeFlushIntervalMs: number;
  /** ...or as soon as this many completed records wait; also the most records per batch. */
  lakeBatchSize: number;
  /** Lookup rows older than this (and already in the lake) are archived. */
  archiveDays: number;
  /** How often the service runs the archiver itself. */
  archiveIntervalMs: number;
}

export const historyDefaults = {
  lakeFlushIntervalMs: 2_000,
  lakeBatchSize: 500,
  archiveDays: 30,
  archiveIntervalMs: 24 * 60 * 60 * 1_000,
} as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`${name} must be an integer >= ${minimum} (got ${JSON.stringify(raw)})`);
  return value;
}

export function readHistoryConfig(env: NodeJS.ProcessEnv = process.env): HistoryConfig {
  return {
    lakeDir: env.DELIVERY_LAKE_DIR || join(env.TRIBUTARY_DATA_DIR ?? './.data', 'lake'),
    lakeFlushIntervalMs: integer(env, 'LAKE_FLUSH_INTERVAL_MS', historyDefaults.lakeFlushIntervalMs, 10),
    lakeBatchSize: integer(env, 'LAKE_BATCH_SIZE', historyDefaults.lakeBatchSize, 1),
    archiveDays: integer(env, 'DELIVERY_ARCHIVE_DAYS', historyDefaults.archiveDays, 0),
    archiveIntervalMs: integer(env, 'ARCHIVE_INTERVAL_MS', historyDefaults.archiveIntervalMs, 1_000),
  };
}
