import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutbox, type Outbox } from '../outbox/outbox.ts';
import { createConsumer } from '../streams/consumer.ts';
import { listDeadLetters } from '../streams/dead-letters.ts';
import { decodeEnvelope } from '../streams/envelope.ts';
import { defineEvent } from '../streams/events.ts';
import { createPublisher, type Publisher } from '../streams/publisher.ts';
import { pendingCount, uniqueService, useRedis } from '../streams/test-fixtures/harness.ts';
import { testDatabases } from '../testing/databases.ts';
import { waitFor } from '../testing/wait-for.ts';
import type { SqlDatabase, SqlExecutor } from './database.ts';
import { ensureHandledTable } from './handled.ts';
import { sqlBatchHandlers, type SqlBatchItem } from './batched-handlers.ts';

const t = useRedis();

describe.each(testDatabases())('batched SQL handlers ($kind)', ({ create }) => {
  let db: SqlDatabase | undefined;
  let outbox: Outbox | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await outbox?.close();
    await db?.close();
    await drop?.();
  });

  /** A deposit service: Deposited(account, cents) adds to a balance and emits Credited; `cents < 0` is poison (a CHECK refuses it). */
  async function setUp(name: string) {
    const service = uniqueService(name);
    const Deposited = defineEvent({ source: service, type: 'Deposited', schema: Type.Object({ account: Type.String(), cents: Type.Integer(), n: Type.Integer() }) });
    const Noted = defineEvent({ source: service, type: 'Noted', schema: Type.Object({ n: Type.Integer() }) });
    const Credited = defineEvent({ source: `${service}-bank`, type: 'Credited', schema: Type.Object({ account: Type.String(), n: Type.Integer() }) });
    const database = await create();
    drop = database.drop;
    const opened = await database.open();
    db = opened;
    await ensureHandledTable(opened);
    await opened.query('CREATE TABLE balances (account text PRIMARY KEY, cents integer NOT NULL CHECK (cents >= 0), deposits integer NOT NULL)');
    await opened.query('CREATE TABLE notes (n integer NOT NULL)');
    // Counts the transactions that mark events handled (the relay's own rounds do not).
    let transactions = 0;
    const counting: SqlDatabase = {
      ...opened,
      transaction: (work) =>
        opened.transaction(async (tx) => {
          let marks = false;
          const result = await work({
            query: (text, params) => {
              if (!marks && text.includes('INSERT INTO tributary_handled_events')) {
                marks = true;
                transactions += 1;
              }
              return tx.query(text, params);
            },
          });
          return result;
        }),
    };
    const source = createPublisher({ redis: t.redis, service });
    const bank = createPublisher({ redis: t.redis, service: `${service}-bank` });
    outbox = createOutbox({ db: counting, publisher: bank, pollIntervalMs: 50 });
    await outbox.install();
    outbox.start();
    await waitFor(async () => (await outbox!.relayOnce()) === 0, { description: 'relay past its start-up round' });
    return { Deposited, Noted, Credited, source, bank, db: opened, outbox, transactions: () => transactions };
  }

  function consumerFor(source: Publisher, tuning: { maxAttempts?: number } = {}) {
    return createConsumer({
      redis: t.redis, stream: source.stream, group: 'bank', consumer: 'bank-1', blockMs: 50, startFrom: '0',
      maxAttempts: tuning.maxAttempts ?? 3, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
    });
  }

  it('handles a whole read in one transaction: one marker insert, the effects, one outbox insert, published at once', async () => {
    const s = await setUp('sqlbatch');
    await s.source.publishEnvelopes([
      ...Array.from({ length: 40 }, (_, n) => s.source.envelope(s.Deposited, { account: `a${n % 4}`, cents: 10, n })),
      s.source.envelope(s.Noted, { n: 40 }),
    ]);
    const consumer = t.track(consumerFor(s.source));
    sqlBatchHandlers(consumer, { outbox: s.outbox, group: 'bank' })
      .onMany(s.Deposited, async (tx, items) => {
        await tx.query(
          `INSERT INTO balances (account, cents, deposits)
           SELECT d->>'account', sum((d->>'cents')::int), count(*) FROM jsonb_array_elements($1::jsonb) d GROUP BY 1
           ON CONFLICT (account) DO UPDATE SET cents = balances.cents + excluded.cents, deposits = balances.deposits + excluded.deposits`,
          [JSON.stringify(items.map((item) => item.event.data))],
        );
        return items.map((item) => s.bank.envelope(s.Credited, { account: item.event.data.account, n: item.event.data.n }, { causedBy: item.event }));
      })
      .on(s.Noted, async (tx, item) => void (await tx.query('INSERT INTO notes (n) VALUES ($1)', [item.event.data.n])));
    const before = s.transactions();
    await consumer.start();
    await waitFor(async () => (await pendingCount(t.redis, s.source.stream, 'bank')) === 0 && (await t.redis.xLen(s.bank.stream)) === 40, { description: 'handled, acked, published' });
    expect(s.transactions() - before).toBe(1);
    const { rows } = await s.db.query<{ total: number; deposits: number }>('SELECT sum(cents)::int AS total, sum(deposits)::int AS deposits FROM balances');
    expect(rows[0]).toEqual({ total: 400, deposits: 40 });
    expect((await s.db.query('SELECT n FROM notes')).rows).toEqual([{ n: 40 }]);
    // Published in the order the handlers emitted them, and nothing left behind.
    const published = ((await t.redis.xRange(s.bank.stream, '-', '+')) ?? []).map((entry) => {
      const decoded = decodeEnvelope(entry.message as Record<string, string>);
      return decoded.ok ? (decoded.envelope.data as { n: number }).n : -1;
    });
    expect(published).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(await s.outbox.backlog()).toBe(0);
  });

  it('one set-based function registered for several types gets their consecutive events in one call, in stream order', async () => {
    const s = await setUp('sqlmixed');
    await s.source.publishEnvelopes(
      Array.from({ length: 6 }, (_, n) => (n % 2 === 0 ? s.source.envelope(s.Deposited, { account: 'a', cents: 10, n }) : s.source.envelope(s.Noted, { n }))),
    );
    const calls: Array<Array<[string, number]>> = [];
    const both = async (tx: SqlExecutor, items: SqlBatchItem[]) => {
      calls.push(items.map((item) => [item.event.type, (item.event.data as { n: number }).n]));
      await tx.query('INSERT INTO notes (n) SELECT unnest($1::int[])', [items.map((item) => (item.event.data as { n: number }).n)]);
    };
    const consumer = t.track(consumerFor(s.source));
    sqlBatchHandlers(consumer, { outbox: s.outbox, group: 'bank' }).onMany(s.Deposited, both).onMany(s.Noted, both);
    await consumer.start();
    await waitFor(async () => (await pendingCount(t.redis, s.source.stream, 'bank')) === 0 && calls.length > 0, { description: 'handled and acked' });
    expect(calls).toEqual([[['Deposited', 0], ['Noted', 1], ['Deposited', 2], ['Noted', 3], ['Deposited', 4], ['Noted', 5]]]);
    expect((await s.db.query<{ n: number }>('SELECT n FROM notes ORDER BY n')).rows.map((row) => row.n)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a poison event in the middle fails alone: its neighbours are applied once, it is retried and dead-lettered', async () => {
    const s = await setUp('sqlpoison');
    await s.source.publishEnvelopes(
      Array.from({ length: 9 }, (_, n) => s.source.envelope(s.Deposited, { account: `a${n}`, cents: n === 4 ? -5 : 10, n })),
    );
    const attempts = new Map<number, number>();
    const consumer = t.track(consumerFor(s.source, { maxAttempts: 3 }));
    sqlBatchHandlers(consumer, { outbox: s.outbox, group: 'bank' }).on(s.Deposited, async (tx, item) => {
      const { account, cents, n } = item.event.data;
      attempts.set(n, (attempts.get(n) ?? 0) + 1);
      await tx.query('INSERT INTO balances (account, cents, deposits) VALUES ($1, $2, 1)', [account, cents]);
      return s.bank.envelope(s.Credited, { account, n }, { causedBy: item.event });
    });
    await consumer.start();
    await waitFor(async () => (await listDeadLetters(t.redis, s.source.stream)).length === 1, { description: 'the poison event dead-lettered' });
    await waitFor(async () => (await pendingCount(t.redis, s.source.stream, 'bank')) === 0, { description: 'nothing pending' });
    const [letter] = await listDeadLetters(t.redis, s.source.stream);
    expect(letter?.error).toMatch(/check constraint/);
    const { rows } = await s.db.query<{ account: string; cents: number; deposits: number }>('SELECT account, cents, deposits FROM balances ORDER BY account');
    expect(rows).toEqual([0, 1, 2, 3, 5, 6, 7, 8].map((n) => ({ account: `a${n}`, cents: 10, deposits: 1 })));
    // The failed shared transaction, then one per event; the poison one twice more, alone.
    expect(attempts.get(4)).toBe(4);
    expect(attempts.get(3)).toBe(2);
    await waitFor(async () => (await t.redis.xLen(s.bank.stream)) === 8, { description: 'eight credits published' });
    const handled = await s.db.query<{ count: number }>("SELECT count(*)::int AS count FROM tributary_handled_events WHERE consumer_group = 'bank'");
    expect(handled.rows[0]?.count).toBe(8);
  });

  it('skips events handled before, and a second copy of one event in the same batch', async () => {
    const s = await setUp('sqldup');
    const first = s.source.envelope(s.Deposited, { account: 'a', cents: 10, n: 1 });
    const second = s.source.envelope(s.Deposited, { account: 'a', cents: 10, n: 2 });
    // The first was handled by an earlier run: its marker is there.
    await s.db.query("INSERT INTO tributary_handled_events (consumer_group, event_id) VALUES ('bank', $1)", [first.id]);
    await s.source.publishEnvelopes([first, second, second]);
    const consumer = t.track(consumerFor(s.source));
    sqlBatchHandlers(consumer, { outbox: s.outbox, group: 'bank' }).on(s.Deposited, async (tx, item) => {
      await tx.query(
        'INSERT INTO balances (account, cents, deposits) VALUES ($1, $2, 1) ON CONFLICT (account) DO UPDATE SET cents = balances.cents + excluded.cents, deposits = balances.deposits + 1',
        [item.event.data.account, item.event.data.cents],
      );
    });
    await consumer.start();
    await waitFor(async () => (await s.db.query('SELECT 1 FROM balances')).rows.length > 0 && (await pendingCount(t.redis, s.source.stream, 'bank')) === 0, {
      description: 'the read handled and acked',
    });
    expect((await s.db.query('SELECT cents, deposits FROM balances')).rows).toEqual([{ cents: 10, deposits: 1 }]);
  });
});
