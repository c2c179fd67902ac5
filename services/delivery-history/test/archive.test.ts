import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledEntryArgs } from '@tributary/launcher/cached-bundle';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testDatabases, waitFor } from 'tributary/testing';
import { ownerFilePath, writeOwner } from '../src/owner-file.ts';
import { count, lakeRows, newTrip, tripEvents, useDeliveryHistory, waitUntilConsumed, type Harness, type Trip } from './harness.ts';

const CLI = fileURLToPath(new URL('../src/archive-cli.ts', import.meta.url));
// From a bundle: tsx's loader costs each run seconds of CPU.
const CLI_ARGS = await bundledEntryArgs(CLI);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

async function finish(h: Harness, startedAt: string, outcome: 'DELIVERED' | 'DRONE_LOST' = 'DELIVERED'): Promise<Trip> {
  const trip = newTrip();
  await h.delivery.publishEnvelopes(tripEvents(h.delivery, trip, startedAt, 600, outcome));
  await waitUntilConsumed(h.bus);
  await waitFor(async () => (await count(h.db, 'SELECT 1 FROM deliveries WHERE delivery_id = $1', [trip.deliveryId])) === 1, { description: 'record complete' });
  return trip;
}

const history = (h: Harness, trip: Trip) => h.history.app.inject({ method: 'GET', url: `/deliveries/${trip.deliveryId}/history` });
const inLookup = (h: Harness, trip: Trip) => count(h.db, 'SELECT 1 FROM deliveries WHERE delivery_id = $1', [trip.deliveryId]);

function cli(args: string[], databaseUrl: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DELIVERY_HISTORY_DATABASE_URL: databaseUrl };
  delete env.DATABASE_URL;
  return run(process.execPath, [...CLI_ARGS, ...args], { cwd: ROOT, env }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe.each(testDatabases({ onDisk: true }))('archiving the lookup store on $kind', (entry) => {
  const t = useDeliveryHistory(entry);

  it('removes records older than the cut-off only once the lake holds them; archived ids still answer from the lake', async () => {
    const h = await t.setup();
    const old = [await finish(h, '2024-01-01T08:00:00.000Z'), await finish(h, '2024-01-02T08:00:00.000Z', 'DRONE_LOST'), await finish(h, '2024-02-20T08:00:00.000Z')];
    const recent = [await finish(h, '2024-03-20T08:00:00.000Z')];
    const before = (await history(h, old[1]!)).json();
    expect(before.source).toBe('lookup');
    await h.history.lake.flushAll();
    const oldButWaiting = await finish(h, '2024-01-05T08:00:00.000Z');

    const result = await h.history.archiver.archive({ olderThanDays: 30, now: new Date('2024-03-25T00:00:00.000Z') });
    expect(result).toEqual({ archived: 3, cutoff: '2024-02-24T00:00:00.000Z' });
    for (const trip of old) expect(await inLookup(h, trip)).toBe(0);
    expect(await count(h.db, 'SELECT 1 FROM delivery_steps WHERE delivery_id = ANY($1::text[])', [old.map((trip) => trip.deliveryId)])).toBe(0);
    expect(await inLookup(h, recent[0]!)).toBe(1);
    expect(await inLookup(h, oldButWaiting)).toBe(1);
    // The batch journal counts its records down: the first batch keeps the recent one.
    expect((await h.db.query<{ records: number }>('SELECT records FROM lake_batches')).rows).toEqual([{ records: 1 }]);

    const archived = await history(h, old[1]!);
    expect(archived.statusCode).toBe(200);
    expect(archived.json()).toEqual({ ...before, source: 'lake' });
    expect((await history(h, recent[0]!)).json().source).toBe('lookup');
    expect((await history(h, oldButWaiting)).json().source).toBe('lookup');
    expect((await h.history.app.inject({ method: 'GET', url: `/deliveries/${newTrip().deliveryId}/history` })).json()).toMatchObject({ error: 'HISTORY_NOT_FOUND' });

    // The lake is untouched; a second run finds nothing.
    expect(await lakeRows(h.lakeDir)).toHaveLength(4);
    expect((await h.history.archiver.archive({ olderThanDays: 30, now: new Date('2024-03-25T00:00:00.000Z') })).archived).toBe(0);

    // Once written, the waiting one goes too.
    await h.history.lake.flushAll();
    expect((await h.history.archiver.archive({ olderThanDays: 30, now: new Date('2024-03-25T00:00:00.000Z') })).archived).toBe(1);
    expect((await history(h, oldButWaiting)).json().source).toBe('lake');
    // Its batch emptied and left the journal; the first one still holds the recent record.
    expect((await h.db.query<{ records: number }>('SELECT records FROM lake_batches')).rows).toEqual([{ records: 1 }]);
  });

  it('a replayed step of an archived delivery does not bring its record back', async () => {
    const h = await t.setup();
    const trip = newTrip();
    const events = tripEvents(h.delivery, trip, '2024-01-01T08:00:00.000Z', 600, 'DELIVERED');
    await h.delivery.publishEnvelopes(events);
    await waitUntilConsumed(h.bus);
    await waitFor(async () => (await inLookup(h, trip)) === 1);
    await h.history.lake.flushAll();
    expect((await h.history.archiver.archive({ olderThanDays: 1 })).archived).toBe(1);

    await h.delivery.publishEnvelopes(events);
    await waitUntilConsumed(h.bus);
    expect(await inLookup(h, trip)).toBe(0);
    await h.history.lake.flushAll();
    expect(await lakeRows(h.lakeDir)).toHaveLength(1);
  });

  it('POST /archive uses the configured retention unless told otherwise', async () => {
    const h = await t.setup({ archiveDays: 30 });
    const trip = await finish(h, '2024-01-01T08:00:00.000Z');
    await h.history.lake.flushAll();
    const earliest = Date.now() - 30 * 86_400_000;
    const byDefault = await h.history.app.inject({ method: 'POST', url: '/archive', payload: {} });
    expect(byDefault.statusCode).toBe(200);
    expect(byDefault.json().archived).toBe(1);
    expect(Date.parse(byDefault.json().cutoff)).toBeGreaterThanOrEqual(earliest);
    expect(Date.parse(byDefault.json().cutoff)).toBeLessThanOrEqual(Date.now() - 30 * 86_400_000);
    expect(await inLookup(h, trip)).toBe(0);

    const far = await h.history.app.inject({ method: 'POST', url: '/archive', payload: { olderThanDays: 3_650 } });
    expect(far.json()).toMatchObject({ archived: 0 });
  });

  it('the command line archives with the service configuration and prints {archived, cutoff}', async () => {
    const h = await t.setup();
    const old = await finish(h, '2024-01-01T08:00:00.000Z');
    await h.history.lake.flushAll();
    await h.closeService(); // PGlite: one process per data directory

    const bad = await cli(['--older-than-days', 'soon'], h.database.url);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than-days');

    const done = await cli(['--older-than-days', '30'], h.database.url);
    expect(done.code).toBe(0);
    const printed = JSON.parse(done.stdout);
    expect(printed).toEqual({ archived: 1, cutoff: expect.any(String) });
    const db = await h.database.open();
    try {
      expect(await inLookup({ ...h, db }, old)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it.runIf(entry.kind === 'pglite')('the command line asks the running service instead of opening its PGlite directory', async () => {
    const h = await t.setup();
    const old = await finish(h, '2024-01-01T08:00:00.000Z');
    await h.history.lake.flushAll();
    const address = await h.history.app.listen({ host: '127.0.0.1', port: 0 });
    const ownerFile = ownerFilePath(h.database.url)!;
    writeOwner(ownerFile, { pid: process.pid, address });
    try {
      const done = await cli(['--older-than-days', '30'], h.database.url);
      expect(done.code).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ archived: 1 });
      expect(await inLookup(h, old)).toBe(0);
    } finally {
      rmSync(ownerFile, { force: true });
    }
  });
});
