import { join, resolve } from 'node:path';
import { partitionSegments, type Day } from '../domain/days.ts';

/**
 * Every path of the lake, built here only: from the configured root, a day
 * that passed `parseDay` and a batch id we generated. Nothing a request
 * sends becomes part of a path.
 *
 *   <lakeDir>/deliveries/year=2024/month=03/day=01/batch-<uuid>.parquet
 */
export interface LakeLayout {
  readonly root: string;
  partitionDir(day: Day): string;
  batchFile(day: Day, batchId: string): string;
  /** Where a file is written before it is renamed into place; not matched by any glob. */
  tempFile(day: Day, batchId: string, nonce: string): string;
  dayGlob(day: Day): string;
  readonly allGlob: string;
}

const BATCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkedBatchId(batchId: string): string {
  if (!BATCH_ID.test(batchId)) throw new Error(`not a batch id: ${JSON.stringify(batchId)}`);
  return batchId;
}

export function lakeLayout(lakeDir: string): LakeLayout {
  // Absolute: DuckDB resolves relative paths against the process's directory, which a supervisor may change.
  const root = join(resolve(lakeDir), 'deliveries');
  const partitionDir = (day: Day) => join(root, ...partitionSegments(day));
  return {
    root,
    partitionDir,
    batchFile: (day, batchId) => join(partitionDir(day), `batch-${checkedBatchId(batchId)}.parquet`),
    tempFile: (day, batchId, nonce) => join(partitionDir(day), `.batch-${checkedBatchId(batchId)}.${nonce}.tmp`),
    dayGlob: (day) => join(partitionDir(day), '*.parquet'),
    allGlob: join(root, 'year=*', 'month=*', 'day=*', '*.parquet'),
  };
}
