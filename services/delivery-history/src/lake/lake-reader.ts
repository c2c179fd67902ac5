import { readdir } from 'node:fs/promises';
import { listValue } from '@duckdb/node-api';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type } from 'tributary';
import { daysBetween, type Day } from '../domain/days.ts';
import type { DeliveryRecord } from '../domain/record.ts';
import { parseRecord, parseSteps } from '../record-schema.ts';
import type { Duck } from './duck.ts';
import type { LakeLayout } from './layout.ts';

/**
 * Queries over the Parquet files, schema on read: DuckDB reads whatever
 * columns the files have (`union_by_name`), and the year/month/day of the
 * path become columns (`hive_partitioning`). Every value from a request is a
 * prepared parameter; every path comes from the layout.
 */
const ISO = `'%Y-%m-%dT%H:%M:%S.%gZ'`;
const READ = 'read_parquet($1, hive_partitioning = true, union_by_name = true)';

export interface DayStats {
  day: string;
  delivered: number;
  failed: number;
  avgDurationSeconds: number | null;
}

export interface DeliveryAnalytics {
  days: DayStats[];
  totals: { delivered: number; failed: number; failureRate: number };
  failuresByReason: Record<string, number>;
}

const DayRow = TypeCompiler.Compile(
  Type.Object({ day: Type.String(), delivered: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }), avg: Type.Union([Type.Number(), Type.Null()]) }),
);
const ReasonRow = TypeCompiler.Compile(Type.Object({ reason: Type.String(), failures: Type.Integer({ minimum: 0 }) }));

function checked<T>(check: { Check(value: unknown): value is T }, row: unknown): T {
  if (!check.Check(row)) throw new Error(`lake: unexpected row ${JSON.stringify(row)}`);
  return row;
}

/**
 * By id, the lake has no index but the files' statistics: DuckDB skips row
 * groups whose delivery_id range excludes the id, yet still opens every
 * file's footer. That is why recent records are looked up in SQL first.
 */
export async function findInLake(duck: Duck, layout: LakeLayout, deliveryId: string): Promise<DeliveryRecord | null> {
  return duck.use(async (connection) => {
    const files = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM glob($1)', [layout.allGlob]);
    if (files.getRowObjectsJson()[0]?.n === 0) return null;
    const reader = await connection.runAndReadAll(
      `SELECT delivery_id AS "deliveryId", package_id AS "packageId", order_id AS "orderId", status, reason,
         to_json(list_transform(steps, s -> {'status': s.status, 'at': strftime(s."at", ${ISO})}))::VARCHAR AS steps,
         strftime(started_at, ${ISO}) AS "startedAt", strftime(finished_at, ${ISO}) AS "finishedAt",
         duration_seconds AS "durationSeconds"
       FROM ${READ} WHERE delivery_id = $2 LIMIT 1`,
      [layout.allGlob, deliveryId],
    );
    const row = reader.getRowObjectsJson()[0];
    if (row === undefined) return null;
    const steps = typeof row.steps === 'string' ? parseSteps(JSON.parse(row.steps), 'lake') : row.steps;
    return parseRecord({ ...row, steps }, 'lake');
  });
}

/** The day partitions in range that hold at least one Parquet file (a glob that matches nothing is an error in DuckDB). */
async function partitionsWithFiles(layout: LakeLayout, days: Day[]): Promise<string[]> {
  const globs: string[] = [];
  for (const day of days) {
    const names = await readdir(layout.partitionDir(day)).catch(() => [] as string[]);
    if (names.some((name) => name.endsWith('.parquet'))) globs.push(layout.dayGlob(day));
  }
  return globs;
}

/**
 * Per finish day: deliveries, failures and the average duration of the
 * delivered ones; over the range: totals, failure rate (failed / finished)
 * and failures by reason. Only the partitions in range are read. Every day
 * of the range is listed, with zeros where nothing finished.
 */
export async function deliveryAnalytics(duck: Duck, layout: LakeLayout, from: Day, to: Day): Promise<DeliveryAnalytics> {
  const days = daysBetween(from, to);
  const globs = await partitionsWithFiles(layout, days);
  const perDay = new Map<string, DayStats>();
  const failuresByReason: Record<string, number> = {};
  if (globs.length > 0) {
    await duck.use(async (connection) => {
      const files = listValue(globs);
      const dayRows = await connection.runAndReadAll(
        `SELECT strftime(CAST(finished_at AS DATE), '%Y-%m-%d') AS day,
           (count(*) FILTER (WHERE status = 'DELIVERED'))::INTEGER AS delivered,
           (count(*) FILTER (WHERE status = 'FAILED'))::INTEGER AS failed,
           avg(duration_seconds) FILTER (WHERE status = 'DELIVERED') AS avg
         FROM ${READ} GROUP BY 1 ORDER BY 1`,
        [files],
      );
      for (const raw of dayRows.getRowObjectsJson()) {
        const row = checked(DayRow, raw);
        perDay.set(row.day, { day: row.day, delivered: row.delivered, failed: row.failed, avgDurationSeconds: row.avg });
      }
      const reasonRows = await connection.runAndReadAll(
        `SELECT coalesce(reason, 'UNKNOWN') AS reason, count(*)::INTEGER AS failures
         FROM ${READ} WHERE status = 'FAILED' GROUP BY 1 ORDER BY 1`,
        [files],
      );
      for (const raw of reasonRows.getRowObjectsJson()) {
        const row = checked(ReasonRow, raw);
        failuresByReason[row.reason] = row.failures;
      }
    });
  }
  const stats = days.map((day) => perDay.get(day) ?? { day, delivered: 0, failed: 0, avgDurationSeconds: null });
  const delivered = stats.reduce((sum, day) => sum + day.delivered, 0);
  const failed = stats.reduce((sum, day) => sum + day.failed, 0);
  return {
    days: stats,
    totals: { delivered, failed, failureRate: delivered + failed === 0 ? 0 : failed / (delivered + failed) },
    failuresByReason,
  };
}
