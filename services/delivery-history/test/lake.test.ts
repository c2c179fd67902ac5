import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDatabases, waitFor } from 'tributary/testing';
import { count, lakeRows, newTrip, tripEvents, useDeliveryHistory, waitUntilConsumed, type Harness, type StepSpec, type Trip } from './harness.ts';

interface TripSpec {
  startedAt: string;
  durationSeconds: number;
  outcome: 'DELIVERED' | StepSpec['reason'];
}

async function finishTrips(h: Harness, specs: TripSpec[]): Promise<Trip[]> {
  const trips = specs.map(() => newTrip());
  await h.delivery.publishEnvelopes(specs.flatMap((spec, i) => tripEvents(h.delivery, trips[i]!, spec.startedAt, spec.durationSeconds, spec.outcome)));
  await waitUntilConsumed(h.bus);
  await waitFor(async () => (await count(h.db, 'SELECT 1 FROM deliveries')) >= specs.length, { description: 'records complete' });
  return trips;
}

/** Every file under the lake, relative to `<lakeDir>/deliveries`. */
function lakeFiles(lakeDir: string): string[] {
  const root = join(lakeDir, 'deliveries');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ name: string; parentPath: string; isFile(): boolean }>)
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

const analytics = async (h: Harness, from: string, to: string) => {
  const response = await h.history.app.inject({ method: 'GET', url: `/analytics/deliveries?from=${from}&to=${to}` });
  expect(response.statusCode).toBe(200);
  return response.json();
};

describe.each(testDatabases())('the delivery lake on $kind', (entry) => {
  const t = useDeliveryHistory(entry);

  it('writes records into year=/month=/day= partitions of their finish date, one Parquet file per day and batch', async () => {
    const h = await t.setup();
    const trips = await finishTrips(h, [
      { startedAt: '2024-02-29T09:00:00.000Z', durationSeconds: 1_200, outcome: 'DELIVERED' },
      { startedAt: '2024-02-29T23:50:00.000Z', durationSeconds: 1_200, outcome: 'DELIVERED' }, // finishes on 1 March
      { startedAt: '2024-03-01T12:00:00.000Z', durationSeconds: 300, outcome: 'DRONE_LOST' },
      { startedAt: '2024-12-31T08:00:00.000Z', durationSeconds: 900, outcome: 'DELIVERED' },
    ]);
    expect(lakeFiles(h.lakeDir)).toEqual([]);

    expect(await h.history.lake.flushAll()).toBe(4);

    const files = lakeFiles(h.lakeDir);
    expect(files.map((file) => file.replace(/batch-[0-9a-f-]{36}\.parquet$/, 'batch-<id>.parquet'))).toEqual([
      'year=2024/month=02/day=29/batch-<id>.parquet',
      'year=2024/month=03/day=01/batch-<id>.parquet',
      'year=2024/month=12/day=31/batch-<id>.parquet',
    ]);
    const rows = await lakeRows(h.lakeDir);
    expect(rows).toHaveLength(4);
    const byId = new Map(rows.map((row) => [row.delivery_id, row]));
    expect(byId.get(trips[1]!.deliveryId)).toMatchObject({ finish_day: '2024-03-01', month: '03', day: '01', status: 'DELIVERED' });
    expect(byId.get(trips[2]!.deliveryId)).toMatchObject({ finish_day: '2024-03-01', status: 'FAILED', reason: 'DRONE_LOST', duration_seconds: 300 });
    for (const row of rows) expect(`${row.year}-${row.month}-${row.day}`).toBe(row.finish_day);
    // The lookup store knows the batch is written, and nothing waits.
    expect(await count(h.db, 'SELECT 1 FROM deliveries WHERE lake_batch IS NULL')).toBe(0);
    expect(await count(h.db, 'SELECT 1 FROM lake_batches WHERE written_at IS NULL')).toBe(0);
    const metrics = (await h.history.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^delivery_history_lake_records_written_total\{[^}]*\} 4$/m);
    expect(metrics).toMatch(/^delivery_history_lake_files_written_total\{[^}]*\} 3$/m);
    expect(metrics).toMatch(/^delivery_history_lake_waiting_records\{[^}]*\} 0$/m);
    // A second flush finds nothing to do and adds nothing.
    expect(await h.history.lake.flushAll()).toBe(0);
    expect(lakeFiles(h.lakeDir)).toEqual(files);
  });

  it('answers per-day counts, average durations, failure rate and reasons over several days of partitions', async () => {
    const h = await t.setup();
    await finishTrips(h, [
      { startedAt: '2024-05-01T08:00:00.000Z', durationSeconds: 600, outcome: 'DELIVERED' },
      { startedAt: '2024-05-01T09:00:00.000Z', durationSeconds: 1_200, outcome: 'DELIVERED' },
      { startedAt: '2024-05-01T10:00:00.000Z', durationSeconds: 60, outcome: 'BATTERY_DEPLETED' },
      { startedAt: '2024-05-02T08:00:00.000Z', durationSeconds: 900, outcome: 'DELIVERED' },
      { startedAt: '2024-05-03T08:00:00.000Z', durationSeconds: 30, outcome: 'DRONE_LOST' },
      { startedAt: '2024-05-03T09:00:00.000Z', durationSeconds: 40, outcome: 'DRONE_LOST' },
      { startedAt: '2024-05-03T10:00:00.000Z', durationSeconds: 50, outcome: 'BATTERY_DEPLETED' },
      { startedAt: '2024-05-03T11:00:00.000Z', durationSeconds: 1_000, outcome: 'DELIVERED' },
      { startedAt: '2024-05-06T11:00:00.000Z', durationSeconds: 1_000, outcome: 'DELIVERED' }, // outside the range
    ]);
    await h.history.lake.flushAll();

    expect(await analytics(h, '2024-05-01', '2024-05-04')).toEqual({
      from: '2024-05-01',
      to: '2024-05-04',
      days: [
        { day: '2024-05-01', delivered: 2, failed: 1, avgDurationSeconds: 900 },
        { day: '2024-05-02', delivered: 1, failed: 0, avgDurationSeconds: 900 },
        { day: '2024-05-03', delivered: 1, failed: 3, avgDurationSeconds: 1_000 },
        { day: '2024-05-04', delivered: 0, failed: 0, avgDurationSeconds: null },
      ],
      totals: { delivered: 4, failed: 4, failureRate: 0.5 },
      failuresByReason: { BATTERY_DEPLETED: 2, DRONE_LOST: 2 },
    });
    expect(await analytics(h, '2024-05-03', '2024-05-03')).toMatchObject({
      days: [{ day: '2024-05-03', delivered: 1, failed: 3, avgDurationSeconds: 1_000 }],
      totals: { delivered: 1, failed: 3, failureRate: 0.75 },
      failuresByReason: { BATTERY_DEPLETED: 1, DRONE_LOST: 2 },
    });
    expect(await analytics(h, '2023-01-01', '2023-01-02')).toMatchObject({ totals: { delivered: 0, failed: 0, failureRate: 0 }, failuresByReason: {} });

    // Analytics reads the lake only: a record still waiting in the lookup store is not counted until the next flush.
    await finishTrips(h, [{ startedAt: '2024-05-02T09:00:00.000Z', durationSeconds: 100, outcome: 'NO_DRONE_AVAILABLE' }]);
    expect((await analytics(h, '2024-05-02', '2024-05-02')).totals).toEqual({ delivered: 1, failed: 0, failureRate: 0 });
    await h.history.lake.flushAll();
    expect((await analytics(h, '2024-05-02', '2024-05-02')).totals).toEqual({ delivered: 1, failed: 1, failureRate: 0.5 });
  });

  it('a crash between writing the files and marking the batch does not duplicate rows when the batch is redone', async () => {
    const h = await t.setup();
    const trips = await finishTrips(h, [
      { startedAt: '2024-06-01T08:00:00.000Z', durationSeconds: 600, outcome: 'DELIVERED' },
      { startedAt: '2024-06-01T09:00:00.000Z', durationSeconds: 600, outcome: 'DELIVERED' },
      { startedAt: '2024-06-02T08:00:00.000Z', durationSeconds: 600, outcome: 'DRONE_LOST' },
    ]);

    // The first writer claims and writes, then "dies" before step 3.
    const batch = await h.history.lake.claim();
    expect(batch).toMatchObject({ resumed: false });
    await h.history.lake.write(batch!.batchId);
    const written = lakeFiles(h.lakeDir);
    expect(written).toHaveLength(2);
    expect((await lakeRows(h.lakeDir)).map((row) => row.delivery_id).sort()).toEqual(trips.map((trip) => trip.deliveryId).sort());
    // Unmarked, the batch's records are not yet archivable, whatever their age.
    expect((await h.history.archiver.archive({ olderThanDays: 0, now: new Date('2030-01-01T00:00:00Z') })).archived).toBe(0);
    // Meanwhile another delivery finishes; it must go to a new batch, not into the redone one.
    const later = await finishTrips(h, [{ startedAt: '2024-06-02T10:00:00.000Z', durationSeconds: 60, outcome: 'DELIVERED' }]);

    // A restarted writer takes the unfinished batch over (resumeAfterMs 0: at once) and then the new record.
    const restarted = await h.startInstance({ lakeResumeAfterMs: 0 });
    expect(await restarted.lake.flushAll()).toBe(4);

    const rows = await lakeRows(h.lakeDir);
    expect(rows.map((row) => row.delivery_id).sort()).toEqual([...trips, ...later].map((trip) => trip.deliveryId).sort());
    expect(rows.filter((row) => row.lake_batch === batch!.batchId)).toHaveLength(3);
    // The same two files were replaced (same names); the new batch added one more.
    const after = lakeFiles(h.lakeDir);
    expect(after).toHaveLength(3);
    for (const file of written) expect(after).toContain(file);
    expect(after.filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(await count(h.db, 'SELECT 1 FROM lake_batches WHERE written_at IS NULL')).toBe(0);
  });

  it('flushes by itself every interval, in batches of the configured size', async () => {
    const h = await t.setup({ lakeFlushIntervalMs: 100, lakeBatchSize: 3 });
    const specs = Array.from({ length: 7 }, (_, i) => ({ startedAt: `2024-07-0${1 + (i % 2)}T0${i}:00:00.000Z`, durationSeconds: 120, outcome: 'DELIVERED' as const }));
    await finishTrips(h, specs);
    await waitFor(async () => (await count(h.db, 'SELECT 1 FROM deliveries d JOIN lake_batches b ON b.batch_id = d.lake_batch WHERE b.written_at IS NOT NULL')) === 7, {
      description: 'every record written by the background writer',
    });
    expect(await lakeRows(h.lakeDir)).toHaveLength(7);
    const batches = await h.db.query<{ records: number }>('SELECT records FROM lake_batches ORDER BY records');
    expect(Math.max(...batches.rows.map((row) => row.records))).toBeLessThanOrEqual(3);
    expect(batches.rows.reduce((sum, row) => sum + row.records, 0)).toBe(7);
  });
});
