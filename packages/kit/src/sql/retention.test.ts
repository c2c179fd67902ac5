import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { unsettledSinceOf } from '../service/consumers.ts';
import { useRedis } from '../streams/test-fixtures/harness.ts';
import { testDatabases, type TestDatabase } from '../testing/databases.ts';
import type { SqlDatabase } from './database.ts';
import { ensureHandledTable, handledMarkersTarget, markHandled } from './handled.ts';
import { pruneTarget, startSqlPruner } from './retention.ts';

const DAY = 24 * 60 * 60 * 1000;
const WINDOW = 7 * DAY;
const t = useRedis();

describe.each(testDatabases())('pruning handled markers ($kind)', ({ create }) => {
  let database: TestDatabase;
  let db: SqlDatabase;
  beforeAll(async () => {
    database = await create();
    db = await database.open();
    await ensureHandledTable(db);
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  /** A marker handled `ageMs` ago. */
  async function markerAged(group: string, eventId: string, ageMs: number): Promise<void> {
    await db.query('INSERT INTO tributary_handled_events (consumer_group, event_id, handled_at) VALUES ($1, $2, to_timestamp($3::double precision / 1000))', [group, eventId, Date.now() - ageMs]);
  }
  const markersOf = async (group: string) =>
    (await db.query<{ event_id: string }>('SELECT event_id FROM tributary_handled_events WHERE consumer_group = $1 ORDER BY event_id', [group])).rows.map((row) => row.event_id);

  it('keeps every marker younger than the window and removes the older ones in small batches', async () => {
    await db.query(
      `INSERT INTO tributary_handled_events (consumer_group, event_id, handled_at)
       SELECT 'batches', 'old-' || lpad(n::text, 4, '0'), now() - interval '8 days' FROM generate_series(0, 1202) AS n`,
    );
    await markerAged('batches', 'just-inside', WINDOW - 60_000);
    await markHandled(db, 'batches', 'fresh');
    const removed = await pruneTarget(db, handledMarkersTarget(WINDOW), { batchRows: 500 });
    expect(removed).toBe(1_203);
    expect(await markersOf('batches')).toEqual(['fresh', 'just-inside']);
    // A pruned event is new again: that is why the window must outlast every copy of it.
    expect(await markHandled(db, 'batches', 'old-0000')).toBe(true);
  });

  it('never removes the marker of an entry its group may still be delivered, however old', async () => {
    const stream = `retention-${Math.random().toString(36).slice(2)}:events`;
    const group = 'retention-test';
    // An entry ten days old, read by the group and not acked: its handler committed, the ack was lost.
    const entryMs = Date.now() - 10 * DAY;
    await t.redis.sendCommand(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM']);
    const entryId = await t.redis.sendCommand<string>(['XADD', stream, `${entryMs}-0`, 'id', 'event-pending']);
    await t.redis.sendCommand(['XREADGROUP', 'GROUP', group, 'c1', 'COUNT', '10', 'STREAMS', stream, '>']);
    await markerAged(group, 'event-pending', 10 * DAY - 1_000);
    await markerAged(group, 'event-long-gone', 12 * DAY);
    const target = handledMarkersTarget(WINDOW, () => unsettledSinceOf(t.redis, stream, group));

    expect(await unsettledSinceOf(t.redis, stream, group)).toBe(entryMs);
    await pruneTarget(db, target);
    // The pending entry would be claimed and redelivered: its marker stays; one handled before it goes.
    expect(await markersOf(group)).toEqual(['event-pending']);

    await t.redis.sendCommand(['XACK', stream, group, entryId]);
    expect(await unsettledSinceOf(t.redis, stream, group)).toBeNull();
    await pruneTarget(db, target);
    expect(await markersOf(group)).toEqual([]);
  });

  it('holds back for entries not yet delivered to the group', async () => {
    const stream = `retention-${Math.random().toString(36).slice(2)}:events`;
    const group = 'retention-lagging';
    const firstMs = Date.now() - 9 * DAY;
    await t.redis.sendCommand(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM']);
    const first = await t.redis.sendCommand<string>(['XADD', stream, `${firstMs}-0`, 'id', 'a']);
    await t.redis.sendCommand(['XADD', stream, `${firstMs + 1_000}-0`, 'id', 'b']);
    await t.redis.sendCommand(['XREADGROUP', 'GROUP', group, 'c1', 'COUNT', '1', 'STREAMS', stream, '>']);
    await t.redis.sendCommand(['XACK', stream, group, first]);
    // b is undelivered: it may still come, and with it a copy of anything handled after a was read.
    expect(await unsettledSinceOf(t.redis, stream, group)).toBe(firstMs);
    await markerAged(group, 'after-a', 9 * DAY - 500);
    await pruneTarget(db, handledMarkersTarget(WINDOW, () => unsettledSinceOf(t.redis, stream, group)));
    expect(await markersOf(group)).toEqual(['after-a']);
  });

  it('follows a round that used its whole budget with the next one soon, not an interval later', async () => {
    await db.query('DELETE FROM tributary_handled_events');
    // More than one round may remove (20 batches of 500): markers written faster than a round a minute removes them.
    await db.query(
      `INSERT INTO tributary_handled_events (consumer_group, event_id, handled_at)
       SELECT 'backlog', 'old-' || n, now() - interval '8 days' FROM generate_series(1, 12500) AS n`,
    );
    await markHandled(db, 'backlog', 'fresh');
    const pruner = startSqlPruner({ db, intervalMs: 3_600_000, targets: [handledMarkersTarget(WINDOW)] });
    try {
      expect(await pruner.runOnce()).toBe(10_000);
      // The next round is not an hour away.
      await waitFor(async () => (await markersOf('backlog')).length === 1, { timeoutMs: 30_000, description: 'the backlog pruned' });
      expect(await markersOf('backlog')).toEqual(['fresh']);
    } finally {
      await pruner.close();
    }
  });

  it('runs as a periodic job that reports what it removed and goes on after a failing target', async () => {
    await db.query('DELETE FROM tributary_handled_events'); // the earlier tests' markers held back by their streams
    await markerAged('job', 'old', WINDOW + DAY);
    const failures: string[] = [];
    const pruner = startSqlPruner({
      db,
      intervalMs: 3_600_000,
      targets: [
        { name: 'missing', table: 'no_such_table', column: 'created_at', retentionMs: WINDOW },
        handledMarkersTarget(WINDOW),
      ],
      onError: (_error, target) => failures.push(target),
    });
    try {
      expect(await pruner.runOnce()).toBe(1);
      expect(failures).toEqual(['missing']);
      expect(await markersOf('job')).toEqual([]);
    } finally {
      await pruner.close();
    }
  });
});
