import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqlDatabase } from 'tributary/sql';
import type { DeliveryRecord } from '../../services/delivery-history/src/domain/record.ts';
import { openDuck, type Duck } from '../../services/delivery-history/src/lake/duck.ts';
import { lakeLayout } from '../../services/delivery-history/src/lake/layout.ts';
import { createLakeWriter } from '../../services/delivery-history/src/lake/lake-writer.ts';
import { writeParquetBatch } from '../../services/delivery-history/src/lake/parquet-writer.ts';
import { insertRecords } from '../../services/delivery-history/src/store/deliveries.ts';
import { installSchema } from '../../services/delivery-history/src/store/schema.ts';
import { printTable } from './table.ts';

/**
 * Delivery-history's lake writer: completed records from the lookup store
 * (PGlite) into date-partitioned Parquet files with DuckDB. Three paths, same
 * records, same batch size:
 * - the Parquet write alone (records in memory → appender → COPY per finish
 *   day → fsync → rename), the floor of the writer's cost;
 * - the writer as the service runs it, records already staged in PGlite
 *   (claim transaction returning the batch's rows → Parquet → mark written);
 * - the handler-side staging inserts (one transaction per record), to show
 *   whether the writer or the ingest is the slower side.
 * Records finish over DAYS days, so most batches write one file, some two.
 */
const RECORDS = Number(process.env.BENCH_LAKE_RECORDS ?? 50_000);
const BATCH = Number(process.env.LAKE_BATCH_SIZE ?? 500);
const DAYS = 10;
const ROUNDS = 2;

function makeRecords(count: number): DeliveryRecord[] {
  const first = Date.parse('2024-05-01T00:00:00.000Z');
  const spacing = (DAYS * 86_400_000) / count;
  return Array.from({ length: count }, (_, i) => {
    const started = first + Math.floor(i * spacing);
    const duration = 300 + (i % 1_500);
    const failed = i % 10 === 0;
    const at = (seconds: number) => new Date(started + seconds * 1_000).toISOString();
    return {
      deliveryId: randomUUID(),
      packageId: randomUUID(),
      orderId: randomUUID(),
      status: failed ? 'FAILED' : 'DELIVERED',
      reason: failed ? 'DRONE_LOST' : null,
      steps: [
        { status: 'CREATED', at: at(0) },
        { status: 'PICKED_UP', at: at(60) },
        { status: 'IN_TRANSIT', at: at(120) },
        { status: failed ? 'FAILED' : 'DELIVERED', at: at(duration) },
      ],
      startedAt: at(0),
      finishedAt: at(duration),
      durationSeconds: duration,
    };
  });
}

function lakeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const stat = statSync(join(dir, name));
    if (stat.isFile() && name.endsWith('.parquet')) {
      files++;
      bytes += stat.size;
    }
  }
  return { files, bytes };
}

/** Every run is checked: a benchmark that lost rows would be fast and wrong. */
async function lakeRowCount(duck: Duck, dir: string): Promise<number> {
  return duck.use(async (connection) => {
    const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM read_parquet($1, hive_partitioning = true)', [lakeLayout(dir).allGlob]);
    return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
  });
}

interface Run {
  seconds: number;
  files: number;
  bytes: number;
}

async function parquetAlone(duck: Duck, records: DeliveryRecord[], batch: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-lake-'));
  try {
    const layout = lakeLayout(dir);
    const started = performance.now();
    for (let i = 0; i < records.length; i += batch) await writeParquetBatch(duck, layout, randomUUID(), records.slice(i, i + batch));
    const seconds = (performance.now() - started) / 1_000;
    if ((await lakeRowCount(duck, dir)) !== records.length) throw new Error('parquet alone: the lake does not hold every record');
    return { seconds, ...lakeSize(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Untimed set-up for the writer runs: every record staged, none claimed (one multi-row statement per 1 000). */
async function stageAll(db: SqlDatabase, records: DeliveryRecord[]): Promise<void> {
  await db.query('UPDATE deliveries SET lake_batch = NULL');
  await db.query('DELETE FROM lake_batches');
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries');
  if (rows[0]?.n === records.length) return;
  await db.query('DELETE FROM deliveries');
  for (let i = 0; i < records.length; i += 1_000) {
    const chunk = records.slice(i, i + 1_000);
    await db.query(
      `INSERT INTO deliveries (delivery_id, package_id, order_id, status, reason, steps, started_at, finished_at, duration_seconds)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[], $9::float8[])`,
      [
        chunk.map((r) => r.deliveryId), chunk.map((r) => r.packageId), chunk.map((r) => r.orderId), chunk.map((r) => r.status),
        chunk.map((r) => r.reason), chunk.map((r) => JSON.stringify(r.steps)), chunk.map((r) => r.startedAt), chunk.map((r) => r.finishedAt),
        chunk.map((r) => r.durationSeconds),
      ],
    );
  }
}

async function writerFromPglite(duck: Duck, db: SqlDatabase, records: DeliveryRecord[]): Promise<Run> {
  await stageAll(db, records);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-lake-'));
  try {
    const writer = createLakeWriter({ db, duck, layout: lakeLayout(dir), batchSize: BATCH, flushIntervalMs: 3_600_000 });
    const started = performance.now();
    const written = await writer.flushAll();
    const seconds = (performance.now() - started) / 1_000;
    await writer.close();
    if (written !== records.length || (await lakeRowCount(duck, dir)) !== records.length) throw new Error('lake writer: the lake does not hold every record');
    return { seconds, ...lakeSize(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function handlerInserts(db: SqlDatabase, records: DeliveryRecord[]): Promise<Run> {
  await db.query('DELETE FROM deliveries');
  await db.query('DELETE FROM lake_batches');
  const started = performance.now();
  for (const record of records) await db.transaction((tx) => insertRecords(tx, [record]));
  return { seconds: (performance.now() - started) / 1_000, files: 0, bytes: 0 };
}

async function best(run: () => Promise<Run>): Promise<{ best: Run; all: Run[] }> {
  const all: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) all.push(await run());
  return { best: all.reduce((a, b) => (a.seconds <= b.seconds ? a : b)), all };
}

export async function benchLakeWrites(): Promise<void> {
  const records = makeRecords(RECORDS);
  const duck = await openDuck();
  const pgDir = mkdtempSync(join(tmpdir(), 'tributary-bench-lake-pg-'));
  const db = await openDatabase(`pglite://${pgDir}`);
  try {
    await installSchema(db);
    // Warm-up: DuckDB's Parquet writer and PGlite's plans.
    await parquetAlone(duck, records.slice(0, BATCH * 2), BATCH);

    const alone = await best(() => parquetAlone(duck, records, BATCH));
    const aloneBig = await best(() => parquetAlone(duck, records, BATCH * 10));
    const writer = await best(() => writerFromPglite(duck, db, records));
    const inserts = await best(() => handlerInserts(db, records));

    const rate = (run: Run) => (RECORDS / run.seconds).toFixed(0);
    const row = (label: string, batch: string, result: { best: Run; all: Run[] }) => [
      label,
      batch,
      rate(result.best),
      result.all.map(rate).join(' / '),
      result.best.files ? String(result.best.files) : '',
      result.best.bytes ? (result.best.bytes / 1_048_576).toFixed(1) : '',
    ];
    printTable(`lake: ${RECORDS} finished deliveries over ${DAYS} days into Parquet (DuckDB), PGlite lookup store, temp dirs, best of ${ROUNDS}`, ['path', 'batch', 'records/s', 'all runs', 'files', 'MB'], [
      row('Parquet write alone (appender → COPY per day → fsync → rename)', String(BATCH), alone),
      row('Parquet write alone, bigger batches', String(BATCH * 10), aloneBig),
      row('lake writer from PGlite (claim UPDATE … RETURNING → Parquet → mark)', String(BATCH), writer),
      row('staging inserts into PGlite (one transaction per record, as the handler)', '1', inserts),
    ]);
  } finally {
    await db.close();
    await duck.close();
    rmSync(pgDir, { recursive: true, force: true });
  }
}
