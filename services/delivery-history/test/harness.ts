import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryStatusChanged, type DeliveryStatus } from '@tributary/contracts';
import { DuckDBInstance } from '@duckdb/node-api';
import { createPublisher, deriveEventId, groupsOf, lastEntryId, type Envelope, type Publisher, type RedisClient } from 'tributary';
import type { SqlDatabase } from 'tributary/sql';
import { waitFor, type TestDatabase } from 'tributary/testing';
import { useSqlService, type TestDatabaseEntry } from 'tributary/testing/vitest';
import { GROUP, startDeliveryHistory, type DeliveryHistoryDeps, type RunningDeliveryHistory } from '../src/app.ts';

type Tuning = Partial<Omit<DeliveryHistoryDeps, 'db' | 'bus' | 'instance' | 'lakeDir'>>;

export interface Harness {
  bus: RedisClient;
  db: SqlDatabase;
  database: TestDatabase;
  lakeDir: string;
  history: RunningDeliveryHistory;
  /** Publishes delivery's events, as the delivery service would. */
  delivery: Publisher;
  /** Another instance on the same database, bus and lake. */
  startInstance(tuning?: Tuning): Promise<RunningDeliveryHistory>;
  /** Closes the service and the test's database connection (for a child process that opens it). */
  closeService(): Promise<void>;
}

/**
 * One redis-server per test file (flushed before each test); per test a
 * fresh database of the given kind, a temporary lake directory and a
 * delivery-history instance. The lake writer's interval is an hour unless a
 * test asks otherwise, so tests decide when batches are written.
 */
export function useDeliveryHistory(entry: TestDatabaseEntry): { setup(tuning?: Tuning): Promise<Harness> } {
  const sql = useSqlService({
    service: 'delivery-history',
    database: entry,
    start: (deps, tuning: Tuning & { lakeDir: string }) =>
      startDeliveryHistory({
        ...deps,
        consumer: { blockMs: 50, batchSize: 10, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 50, claimIdleMs: 5_000 },
        outboxPollIntervalMs: 50,
        lakeFlushIntervalMs: 3_600_000,
        archiveIntervalMs: null,
        ...tuning,
      }),
  });

  return {
    async setup(tuning = {}): Promise<Harness> {
      const lakeDir = mkdtempSync(join(tmpdir(), 'tributary-lake-'));
      // Deferred before the service starts, so removed after it has closed.
      sql.defer(() => rmSync(lakeDir, { recursive: true, force: true }));
      const run = await sql.setup({ ...tuning, lakeDir });
      return {
        bus: run.bus,
        db: run.db,
        database: run.database,
        lakeDir,
        history: run.service,
        delivery: createPublisher({ redis: run.bus, service: 'delivery' }),
        startInstance: (extra = {}) => run.startInstance({ ...tuning, ...extra, lakeDir }),
        closeService: () => run.stopService(),
      };
    },
  };
}

export interface Trip {
  deliveryId: string;
  packageId: string;
  orderId: string;
}

export const newTrip = (): Trip => ({ deliveryId: randomUUID(), packageId: randomUUID(), orderId: randomUUID() });

export interface StepSpec {
  status: DeliveryStatus;
  at: string;
  reason?: 'BATTERY_DEPLETED' | 'DRONE_LOST' | 'NO_DRONE_AVAILABLE';
}

/** Delivery's event for one step, with delivery's id scheme: derived from (deliveryId, status). */
export function stepEvent(delivery: Publisher, trip: Trip, step: StepSpec): Envelope {
  return delivery.envelope(
    DeliveryStatusChanged,
    { ...trip, status: step.status, at: step.at, ...(step.reason ? { reason: step.reason } : {}) },
    { id: deriveEventId(trip.deliveryId, step.status) },
  );
}

const addSeconds = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1_000).toISOString();

/** A whole delivery: CREATED at `startedAt`, the terminal step `durationSeconds` later. */
export function tripEvents(delivery: Publisher, trip: Trip, startedAt: string, durationSeconds: number, outcome: 'DELIVERED' | StepSpec['reason']): Envelope[] {
  const steps: StepSpec[] = [
    { status: 'CREATED', at: startedAt },
    { status: 'PICKED_UP', at: addSeconds(startedAt, Math.min(60, durationSeconds / 3)) },
    { status: 'IN_TRANSIT', at: addSeconds(startedAt, Math.min(120, (2 * durationSeconds) / 3)) },
    outcome === 'DELIVERED'
      ? { status: 'DELIVERED', at: addSeconds(startedAt, durationSeconds) }
      : { status: 'FAILED', at: addSeconds(startedAt, durationSeconds), ...(outcome ? { reason: outcome } : {}) },
  ];
  return steps.map((step) => stepEvent(delivery, trip, step));
}


/** Waits until the delivery-history group has been delivered and has acked every entry of delivery's stream. */
export async function waitUntilConsumed(bus: RedisClient, stream = DeliveryStatusChanged.stream): Promise<void> {
  await waitFor(
    async () => {
      const group = (await groupsOf(bus, stream)).find((candidate) => candidate.name === GROUP);
      const last = await lastEntryId(bus, stream);
      return group !== undefined && group.pending === 0 && group.lastDeliveredId === last;
    },
    { timeoutMs: 20_000, description: `delivery-history consumed ${stream}` },
  );
}

export async function count(db: SqlDatabase, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS counted`, params);
  return rows[0]?.n ?? 0;
}

/**
 * Reads the lake as an outside analyst would: a DuckDB of the test's own
 * over every Parquet file, so the service's reader is not checking itself.
 */
export async function lakeRows(lakeDir: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const files = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM glob($1)', [join(lakeDir, 'deliveries', '**', '*.parquet')]);
    if (files.getRowObjectsJson()[0]?.n === 0) return [];
    const reader = await connection.runAndReadAll(
      `SELECT delivery_id, status, reason, duration_seconds, lake_batch, year, month, day, strftime(finished_at, '%Y-%m-%d') AS finish_day
       FROM read_parquet($1, hive_partitioning = true) ORDER BY delivery_id`,
      [join(lakeDir, 'deliveries', '**', '*.parquet')],
    );
    return reader.getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
