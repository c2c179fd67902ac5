import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { readSettings } from 'tributary/settings';

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

/** The knobs with a default; the lake's directory is derived from TRIBUTARY_DATA_DIR, so it is read by hand below. */
export const historySettingsSchema = Type.Object({
  lakeFlushIntervalMs: Type.Integer({ env: 'LAKE_FLUSH_INTERVAL_MS', default: 2_000, minimum: 10, description: 'The lake writer runs this often...' }),
  lakeBatchSize: Type.Integer({ env: 'LAKE_BATCH_SIZE', default: 500, minimum: 1, description: '...or as soon as this many completed records wait; also the most records per batch.' }),
  archiveDays: Type.Integer({ env: 'DELIVERY_ARCHIVE_DAYS', default: 30, minimum: 0, description: 'Lookup rows older than this (and already in the lake) are archived.' }),
  archiveIntervalMs: Type.Integer({ env: 'ARCHIVE_INTERVAL_MS', default: 24 * 60 * 60 * 1_000, minimum: 1_000, description: 'How often the service runs the archiver itself.' }),
});

export const historyDefaults: Omit<HistoryConfig, 'lakeDir'> = readSettings(historySettingsSchema, {});

export function readHistoryConfig(env: NodeJS.ProcessEnv = process.env): HistoryConfig {
  return {
    lakeDir: env.DELIVERY_LAKE_DIR || join(env.TRIBUTARY_DATA_DIR ?? './.data', 'lake'),
    ...readSettings(historySettingsSchema, env),
  };
}
