import { describe, expect, it } from 'vitest';
import { historyDefaults, readHistoryConfig } from './config.ts';

describe('readHistoryConfig', () => {
  it('has the documented defaults, the lake under the data directory', () => {
    expect(historyDefaults).toEqual({ lakeFlushIntervalMs: 2_000, lakeBatchSize: 500, archiveDays: 30, archiveIntervalMs: 86_400_000 });
    expect(readHistoryConfig({ TRIBUTARY_DATA_DIR: '/d' })).toEqual({ ...historyDefaults, lakeDir: '/d/lake' });
    expect(readHistoryConfig({ DELIVERY_LAKE_DIR: '/l', DELIVERY_ARCHIVE_DAYS: '0', LAKE_BATCH_SIZE: '' })).toMatchObject({ lakeDir: '/l', archiveDays: 0, lakeBatchSize: 500 });
  });

  it('refuses a value out of range, naming the variable', () => {
    expect(() => readHistoryConfig({ LAKE_FLUSH_INTERVAL_MS: '5' })).toThrow('LAKE_FLUSH_INTERVAL_MS must be a whole number >= 10, got "5"');
    expect(() => readHistoryConfig({ ARCHIVE_INTERVAL_MS: '1.5e3x' })).toThrow('ARCHIVE_INTERVAL_MS must be a whole number >= 1000, got "1.5e3x"');
  });
});
