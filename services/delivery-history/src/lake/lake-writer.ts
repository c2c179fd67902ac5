import type { SqlDatabase } from 'tributary/sql';
import { periodicJob } from 'tributary/telemetry';
import type { Registry } from 'prom-client';
import { batchRecords, claimBatch, markBatchWritten, type ClaimedBatch } from '../store/lake-batches.ts';
import type { Duck } from './duck.ts';
import type { LakeLayout } from './layout.ts';
import { writeParquetBatch } from './parquet-writer.ts';

/**
 * Moves completed records from the lookup store into the lake, in batches,
 * without losing or duplicating a row whatever crashes where:
 *
 * 1. claim: one transaction gives a new batch id to up to `batchSize`
 *    records whose `lake_batch` is null (or takes over a batch claimed more
 *    than `resumeAfterMs` ago and never marked written);
 * 2. write: one Parquet file per finish day, named after the batch id,
 *    written aside and renamed into place;
 * 3. mark: `lake_batches.written_at` is set. Only then may the archiver
 *    delete the batch's lookup rows.
 *
 * A crash before 1 commits leaves the records waiting; between 1 and 3, the
 * batch is redone later and overwrites the same files (same names, same
 * rows: a claimed record is frozen); after 3 there is nothing to redo. Two
 * writers on one batch (the first one only slow, not dead) write identical
 * files: the first holds the rows its claim returned, all of them; the
 * second reads them while the batch is unmarked, and once it is marked (and
 * the archiver may have deleted some) finds none and writes nothing.
 */
export interface LakeWriterOptions {
  db: SqlDatabase;
  duck: Duck;
  layout: LakeLayout;
  batchSize: number;
  flushIntervalMs: number;
  resumeAfterMs?: number;
  /** Where the writer's run time and records written go (`job="history-lake-writer"`). */
  registry?: Registry;
  onError?: (error: Error) => void;
  onWritten?: (batch: { batchId: string; records: number; files: number; resumed: boolean }) => void;
}

export interface LakeWriter {
  /** Step 1 alone (tests simulate a crash by stopping after step 2). */
  claim(): Promise<ClaimedBatch | null>;
  /** Step 2 alone; returns the files written. */
  write(batchId: string): Promise<string[]>;
  /** Step 3 alone. */
  markWritten(batchId: string): Promise<void>;
  /** Steps 1 to 3 for one batch; returns how many records it wrote, null when there was no batch to write. */
  flushOnce(): Promise<number | null>;
  /** Batches until nothing waits; returns the records written. */
  flushAll(): Promise<number>;
  /** A handler recorded a delivery: a full batch's worth wakes the writer early. */
  recorded(): void;
  start(): void;
  close(): Promise<void>;
}

export const DEFAULT_RESUME_AFTER_MS = 30_000;

export function createLakeWriter(options: LakeWriterOptions): LakeWriter {
  const { db, duck, layout, batchSize } = options;
  const resumeAfterMs = options.resumeAfterMs ?? DEFAULT_RESUME_AFTER_MS;
  const meter = periodicJob('history-lake-writer', options.registry ? { registry: options.registry } : {});
  let sinceFlush = 0;
  let stopping = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  // One flush at a time per instance: the loop and an explicit flush must not claim side by side for nothing.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const write = async (batchId: string) => writeParquetBatch(duck, layout, batchId, await batchRecords(db, batchId));

  const flushOnce = () =>
    serial(async () => {
      const batch = await claimBatch(db, { size: batchSize, resumeAfterMs });
      if (!batch) return null;
      const { records } = batch;
      const files = await writeParquetBatch(duck, layout, batch.batchId, records);
      await markBatchWritten(db, batch.batchId);
      options.onWritten?.({ batchId: batch.batchId, records: records.length, files: files.length, resumed: batch.resumed });
      return records.length;
    });

  async function flushAll(): Promise<number> {
    let total = 0;
    sinceFlush = 0;
    for (;;) {
      const written = await flushOnce();
      if (written === null) return total;
      total += written;
      if (stopping) return total;
    }
  }

  async function run(): Promise<void> {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.flushIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopping) break;
      try {
        await meter.run(async (run) => run.items(await flushAll()));
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  return {
    claim: () => claimBatch(db, { size: batchSize, resumeAfterMs }),
    write,
    markWritten: (batchId) => markBatchWritten(db, batchId),
    flushOnce,
    flushAll,
    recorded() {
      if (++sinceFlush >= batchSize) wake?.();
    },
    start() {
      loop ??= run();
    },
    async close() {
      stopping = true;
      wake?.();
      await loop;
      await queue;
    },
  };
}
