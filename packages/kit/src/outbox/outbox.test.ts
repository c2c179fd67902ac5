import { afterEach, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { createPublisher } from '../streams/publisher.ts';
import { defineEvent } from '../streams/events.ts';
import { decodeEnvelope } from '../streams/envelope.ts';
import { startRedisServer, testDatabases, waitFor, type RedisServer } from '../testing/index.ts';
import type { SqlDatabase } from '../sql/database.ts';
import { Registry } from 'prom-client';
import { createOutbox, relayPause } from './outbox.ts';
import { registerOutboxMetrics } from './metrics.ts';

const Noted = defineEvent({ source: 'notes', type: 'Noted', version: 1, schema: Type.Object({ n: Type.Integer() }) });
/** An event of the same service on a second stream of its own. */
const Paid = defineEvent({ source: 'notes', type: 'Paid', version: 1, stream: 'notes:payments', schema: Type.Object({ n: Type.Integer() }) });

describe.each(testDatabases())('outbox relay ($kind)', ({ create }) => {
  let redis: RedisServer | undefined;
  let bus: RedisClient | undefined;
  let db: SqlDatabase | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await bus?.close().catch(() => undefined);
    await db?.close();
    await drop?.();
    await redis?.stop();
  });

  /** A Redis of its own, a fresh database, and an outbox on both, installed (not started). */
  async function setUp(options: { pollIntervalMs?: number } = {}) {
    redis = await startRedisServer();
    const client = await connectRedis(redis.url);
    bus = client;
    const database = await create();
    drop = database.drop;
    const opened = await database.open();
    db = opened;
    const publisher = createPublisher({ redis: client, service: 'notes' });
    const outbox = createOutbox({ db: opened, publisher, ...options });
    await outbox.install();
    return { server: redis, client, db: opened, publisher, outbox };
  }

  const published = async (client: RedisClient, stream: string) =>
    ((await client.xRange(stream, '-', '+')) ?? []).map((entry) => {
      const decoded = decodeEnvelope(entry.message as Record<string, string>);
      return decoded.ok ? decoded.envelope.data : decoded.reason;
    });

  it('never holds the database while the bus is down, then publishes every row once, in order', async () => {
    const { server, client, db, publisher, outbox } = await setUp({ pollIntervalMs: 20 });

    await server.kill();
    await waitFor(() => !client.isReady, { description: 'client notices the bus is gone' });
    for (let n = 1; n <= 3; n++) {
      await db.transaction(async (tx) => outbox.add(tx, publisher.envelope(Noted, { n })));
    }
    // Fails fast instead of parking an XADD in the offline queue inside its transaction.
    await expect(outbox.relayOnce()).rejects.toThrow(/not connected/);
    outbox.start();
    // The relay loop is retrying: the database still answers and the rows wait.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    expect(await outbox.backlog()).toBe(3);

    redis = await server.restart();
    await waitFor(async () => (await outbox.backlog()) === 0, { timeoutMs: 20_000, description: 'outbox drained' });
    await outbox.close();
    expect(await published(client, publisher.stream)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('reports its backlog as tributary_outbox_backlog at scrape time', async () => {
    const { db, publisher, outbox } = await setUp();
    const registry = new Registry();
    registerOutboxMetrics(registry, outbox);
    const backlog = async () => (await registry.getSingleMetricAsString('tributary_outbox_backlog')).split('\n').at(-1);

    for (let n = 1; n <= 2; n++) await db.transaction(async (tx) => outbox.add(tx, publisher.envelope(Noted, { n })));
    expect(await backlog()).toBe('tributary_outbox_backlog 2');
    expect(await outbox.relayOnce()).toBe(2);
    expect(await backlog()).toBe('tributary_outbox_backlog 0');

    // The relay loop's rounds are a periodic job in the same registry, with the rows each published.
    await db.transaction(async (tx) => outbox.add(tx, publisher.envelope(Noted, { n: 3 })));
    outbox.start();
    const relayed = async () => (await registry.metrics()).split('\n').find((line) => line.startsWith('tributary_periodic_items_total{job="outbox-relay"}'));
    await waitFor(async () => (await relayed()) === 'tributary_periodic_items_total{job="outbox-relay"} 1', { description: 'the relay round metered' });
    await outbox.close();
  });

  it('publishes what a transaction emitted right after its commit and deletes the rows, without the relay', async () => {
    // The relay never polls on its own here: only its start-up round runs (relayOnce).
    const { client, publisher, outbox } = await setUp({ pollIntervalMs: 60_000 });
    expect(await outbox.relayOnce()).toBe(0);
    await outbox.transaction(async (_tx, emit) => emit([publisher.envelope(Noted, { n: 1 }), publisher.envelope(Noted, { n: 2 })]));
    await outbox.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 3 })));
    expect(await published(client, publisher.stream)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await outbox.backlog()).toBe(0);
    // A transaction that fails publishes nothing and leaves nothing.
    await expect(
      outbox.transaction(async (_tx, emit) => {
        emit(publisher.envelope(Noted, { n: 4 }));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await outbox.backlog()).toBe(0);
    expect(await client.xLen(publisher.stream)).toBe(3);
    await outbox.close();
  });

  it('with waitForPublish: false resolves at its COMMIT, before the bus has taken the rows; they follow in commit order', async () => {
    const { server, client, publisher, outbox } = await setUp({ pollIntervalMs: 60_000 });
    expect(await outbox.relayOnce()).toBe(0);
    // Writes held at the bus: a transaction that waited for its publication would not resolve before the pause ends.
    const admin = await connectRedis(server.url);
    await admin.sendCommand(['CLIENT', 'PAUSE', '60000', 'WRITE']);
    try {
      await outbox.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 1 })), { waitForPublish: false });
      await outbox.transaction(async (_tx, emit) => emit([publisher.envelope(Noted, { n: 2 }), publisher.envelope(Noted, { n: 3 })]), { waitForPublish: false });
      expect(await admin.xLen(publisher.stream)).toBe(0);
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
    }
    await waitFor(async () => (await admin.xLen(publisher.stream)) === 3, { description: 'both published once the bus takes writes' });
    expect(await published(client, publisher.stream)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await waitFor(async () => (await outbox.backlog()) === 0, { description: 'their rows deleted' });
    await admin.close();
    await outbox.close();
  });

  it('keeps the rows of a commit made while the bus is down; the relay publishes them, before later commits, once it is back', async () => {
    const { server, client, publisher, outbox } = await setUp({ pollIntervalMs: 20 });
    outbox.start();
    await outbox.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 1 })));
    await server.kill();
    await waitFor(() => !client.isReady, { description: 'client notices the bus is gone' });
    // The commit succeeds; its rows wait.
    await outbox.transaction(async (_tx, emit) => emit([publisher.envelope(Noted, { n: 2 }), publisher.envelope(Noted, { n: 3 })]));
    expect(await outbox.backlog()).toBe(2);

    redis = await server.restart();
    await waitFor(() => client.isReady, { timeoutMs: 20_000, description: 'client reconnected' });
    // A commit right after the bus is back must not overtake the waiting rows.
    await outbox.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 4 })));
    await waitFor(async () => (await outbox.backlog()) === 0, { timeoutMs: 20_000, description: 'outbox drained' });
    await outbox.close();
    const data = await published(client, publisher.stream);
    // n = 1 was published before the restart (a Redis without persistence forgot it).
    expect(data.filter((item) => typeof item === 'object' && (item as { n: number }).n > 1)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('publishes the rows of a process that died between COMMIT and publish from the next relay', async () => {
    const { client, db, publisher, outbox: dying } = await setUp();
    // What transaction() does up to COMMIT; the process "dies" before publishCommitted().
    await db.transaction(async (tx) => dying.addMany(tx, [publisher.envelope(Noted, { n: 1 }), publisher.envelope(Noted, { n: 2 })]));
    expect(await client.xLen(publisher.stream)).toBe(0);

    const next = createOutbox({ db, publisher, pollIntervalMs: 20 });
    next.start();
    await waitFor(async () => (await next.backlog()) === 0, { description: 'the leftovers published' });
    await next.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 3 })));
    await next.close();
    expect(await published(client, publisher.stream)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('a commit behind another commit\'s waiting row goes out after it, never before, though its own probe ran before its COMMIT', async () => {
    const { client, db, publisher } = await setUp();
    // Another process committed n = 1 and died before publishing it.
    const dying = createOutbox({ db, publisher });
    await db.transaction(async (tx) => dying.addMany(tx, [publisher.envelope(Noted, { n: 1 })]));
    // This process's relay has looked once: the leftover is too young to take (its writer may be publishing it).
    const outbox = createOutbox({ db, publisher, pollIntervalMs: 20, relayMinAgeMs: 1_000 });
    expect(await outbox.relayOnce()).toBe(0);
    await outbox.transaction(async (_tx, emit) => emit(publisher.envelope(Noted, { n: 2 })));
    // The INSERT saw the older row: n = 2 waits for the relay, behind it.
    expect(await client.xLen(publisher.stream)).toBe(0);
    outbox.start();
    await waitFor(async () => (await outbox.backlog()) === 0, { description: 'both published by the relay' });
    await outbox.close();
    expect(await published(client, publisher.stream)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('routes each row to its own stream, in order on each, by the fast path and by the relay; rows of an older version go to the main stream', async () => {
    const { client, db, publisher, outbox: plain } = await setUp({ pollIntervalMs: 60_000 });
    // A row an older version wrote (no stream column then): it was meant for the main stream.
    await db.transaction(async (tx) => plain.addMany(tx, [publisher.envelope(Noted, { n: 0 })]));
    await db.query('UPDATE tributary_outbox SET stream = NULL');

    const payments = createPublisher({ redis: client, service: 'notes', stream: Paid.stream });
    const outbox = createOutbox({ db, publisher, routes: [{ publisher: payments, events: [Paid] }], pollIntervalMs: 20 });
    await outbox.install();
    // A crash leftover mixing both streams: the relay takes it.
    await db.transaction(async (tx) => outbox.addMany(tx, [payments.envelope(Paid, { n: 1 }), publisher.envelope(Noted, { n: 1 }), payments.envelope(Paid, { n: 2 })]));
    outbox.start();
    await waitFor(async () => (await outbox.backlog()) === 0, { description: 'the leftovers published' });
    // The fast path: one commit, both streams.
    await outbox.transaction(async (_tx, emit) => emit([payments.envelope(Paid, { n: 3 }), publisher.envelope(Noted, { n: 2 }), payments.envelope(Paid, { n: 4 })]));
    await outbox.close();

    expect(await published(client, 'notes:events')).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(await published(client, 'notes:payments')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(await outbox.backlog()).toBe(0);
    // A route must be another stream of the same service, and every event it names must be defined there.
    expect(() => createOutbox({ db, publisher, routes: [{ publisher: payments, events: [Noted] }] })).toThrow(/Noted is defined on notes:events/);
    expect(() => createOutbox({ db, publisher, routes: [{ publisher: createPublisher({ redis: client, service: 'other' }), events: [] }] })).toThrow(/another stream of notes/);
  });
});

describe('the relay between rounds', () => {
  const base = { pollIntervalMs: 250, relayMinAgeMs: 2_000 };
  it('backs off, doubling, to relayMinAgeMs while rounds find nothing, and comes back at once when they do', () => {
    const pauses = [0, 1, 2, 3, 4, 20].map((emptyRounds) => relayPause({ ...base, emptyRounds, waitingRows: false }));
    expect(pauses).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000]);
  });

  it('keeps the short interval while it knows rows are waiting', () => {
    expect(relayPause({ ...base, emptyRounds: 5, waitingRows: true })).toBe(250);
  });

  it('never sleeps less than the poll interval, whatever relayMinAgeMs is', () => {
    expect(relayPause({ pollIntervalMs: 250, relayMinAgeMs: 0, emptyRounds: 3, waitingRows: false })).toBe(250);
  });
});
