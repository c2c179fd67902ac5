import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { timestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { dayOf, type Day } from '../domain/days.ts';
import type { DeliveryRecord } from '../domain/record.ts';
import type { Duck } from './duck.ts';
import type { LakeLayout } from './layout.ts';

/**
 * The Parquet schema of `deliveries` (version 1): delivery_id, package_id,
 * order_id, status, reason, steps STRUCT(status VARCHAR, "at" TIMESTAMP)[],
 * started_at, finished_at, duration_seconds, lake_batch. Readers use
 * `union_by_name`, so a later version may add columns without rewriting old
 * files (schema on read). Timestamps are UTC without a zone (DuckDB's
 * TIMESTAMP, Parquet's int64 microseconds). `lake_batch` names the batch that
 * wrote the row, for audits.
 *
 * Steps are staged as JSON text and turned into the typed list inside the
 * COPY: appending nested values one by one from JavaScript cost about ten
 * times the whole rest of a batch (see bench/src/lake.ts).
 */
const STAGING_TABLE = `CREATE TEMP TABLE lake_staging (
  delivery_id VARCHAR NOT NULL,
  package_id VARCHAR NOT NULL,
  order_id VARCHAR NOT NULL,
  status VARCHAR NOT NULL,
  reason VARCHAR,
  steps_json VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  duration_seconds DOUBLE NOT NULL,
  lake_batch VARCHAR NOT NULL
)`;

const COPY_DAY = `COPY (
  SELECT delivery_id, package_id, order_id, status, reason,
    list_transform(from_json(steps_json, '[{"status":"VARCHAR","at":"BIGINT"}]'), s -> {'status': s.status, 'at': epoch_ms(s."at")}) AS steps,
    started_at, finished_at, duration_seconds, lake_batch
  FROM lake_staging WHERE CAST(finished_at AS DATE) = $1::DATE ORDER BY delivery_id
) TO $2 (FORMAT parquet, COMPRESSION zstd)`;

const micros = (iso: string) => timestampValue(BigInt(Date.parse(iso)) * 1_000n);

function appendRecord(appender: DuckDBAppender, record: DeliveryRecord, batchId: string): void {
  appender.appendVarchar(record.deliveryId);
  appender.appendVarchar(record.packageId);
  appender.appendVarchar(record.orderId);
  appender.appendVarchar(record.status);
  if (record.reason === null) appender.appendNull();
  else appender.appendVarchar(record.reason);
  appender.appendVarchar(JSON.stringify(record.steps.map((step) => ({ status: step.status, at: Date.parse(step.at) }))));
  appender.appendTimestamp(micros(record.startedAt));
  appender.appendTimestamp(micros(record.finishedAt));
  appender.appendDouble(record.durationSeconds);
  appender.appendVarchar(batchId);
  appender.endRow();
}

/** fsync before the rename, so a power cut cannot leave an empty file under a final name. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes one Parquet file per finish day, named after the batch: writing the
 * same batch again replaces the same files, so a redone batch never adds
 * rows. Each file is written under a temporary name and renamed into place
 * (atomic on one filesystem), so readers never see half a file. Returns the
 * files written.
 */
export async function writeParquetBatch(duck: Duck, layout: LakeLayout, batchId: string, records: readonly DeliveryRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const days = [...new Set(records.map((record) => dayOf(record.finishedAt)))].sort() as Day[];
  return duck.use(async (connection) => {
    await connection.run(STAGING_TABLE);
    const appender = await connection.createAppender('lake_staging');
    try {
      for (const record of records) appendRecord(appender, record, batchId);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const files: string[] = [];
    const nonce = randomBytes(4).toString('hex');
    for (const day of days) {
      await mkdir(layout.partitionDir(day), { recursive: true });
      const temp = layout.tempFile(day, batchId, nonce);
      try {
        await connection.run(COPY_DAY, [day, temp]);
        await syncFile(temp);
        await rename(temp, layout.batchFile(day, batchId));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      files.push(layout.batchFile(day, batchId));
    }
    return files;
  });
}
