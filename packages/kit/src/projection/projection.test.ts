import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { defineEvent } from '../streams/events.ts';
import { createPublisher, type Publisher } from '../streams/publisher.ts';
import { encodeEnvelope } from '../streams/envelope.ts';
import { groupsOf } from '../streams/commands.ts';
import { listDeadLetters } from '../streams/dead-letters.ts';
import { trimStream } from '../streams/trimmer.ts';
import { createProjection, type Projection, type ProjectionOptions, type ProjectionReport } from './projection.ts';
import { createRedisProjectionStore, type RedisProjectionTx } from './redis-store.ts';

let busServer: RedisServer;
let storeServer: RedisServer;
let bus: RedisClient;
let store: RedisClient;
let running: Array<Projection<RedisProjectionTx>> = [];

beforeAll(async () => {
  [busServer, storeServer] = await Promise.all([startRedisServer(), startRedisServer()]);
  bus = await connectRedis(busServer.url);
  store = await connectRedis(storeServer.url);
});
afterEach(async () => {
  const closing = running;
  running = [];
  await Promise.all(closing.map((projection) => projection.close()));
});
afterAll(async () => {
  await Promise.all([bus?.close(), store?.close()]);
  await Promise.all([busServer?.stop(), storeServer?.stop()]);
});

/** A fresh source service, its events, and a read model namespace, per test. */
function scenario() {
  const service = `users-${randomBytes(4).toString('hex')}`;
  const Registered = defineEvent({ source: service, type: 'Registered', schema: Type.Object({ userId: Type.String(), name: Type.String() }) });
  const Renamed = defineEvent({ source: service, type: 'Renamed', schema: Type.Object({ userId: Type.String(), name: Type.String({ minLength: 1 }) }) });
  const Ignored = defineEvent({ source: service, type: 'Ignored', schema: Type.Object({}) });
  const ns = `test:{${service}}`;
  const publisher: Publisher = createPublisher({ redis: bus, service });
  const userKey = (userId: string) => `${ns}:user:${userId}`;
  const appliedKey = `${ns}:applied`;

  /** The projection under test: a user's name, the previous name (read-then-write), and how often each entry was applied. */
  function build(options: Partial<ProjectionOptions<RedisProjectionTx>> & { failOn?: (name: string) => boolean } = {}) {
    const { failOn, ...rest } = options;
    const projection = createProjection<RedisProjectionTx>({
      name: `${service}-names`,
      bus,
      store: createRedisProjectionStore({ redis: store, namespace: `${ns}:projection`, readModel: { prefix: `${ns}:` } }),
      blockMs: 100,
      backoffBaseMs: 5,
      backoffMaxMs: 10,
      ...rest,
    })
      .on(Registered, (event, tx, context) => {
        tx.write(['HSET', userKey(event.data.userId), 'name', event.data.name]);
        tx.write(['HINCRBY', appliedKey, context.entryId, '1']);
      })
      .on(Renamed, async (event, tx, context) => {
        if (failOn?.(event.data.name)) throw new Error(`cannot rename to ${event.data.name}`);
        const previous = await tx.read<string | null>(['HGET', userKey(event.data.userId), 'name']);
        tx.write(['HSET', userKey(event.data.userId), 'name', event.data.name, 'previous', previous ?? '']);
        tx.write(['HINCRBY', appliedKey, context.entryId, '1']);
      });
    running.push(projection);
    return projection;
  }

  async function caughtUp(projection: Projection<RedisProjectionTx>) {
    const tips = await projection.tips();
    expect(await projection.waitFor(tips, { timeoutMs: 10_000 })).toBe(true);
  }

  async function users(): Promise<Record<string, Record<string, string>>> {
    const keys = (await store.keys(`${ns}:user:*`)).sort();
    const entries = await Promise.all(keys.map(async (key) => [key, await store.hGetAll(key)] as const));
    return Object.fromEntries(entries);
  }

  async function applyCounts(): Promise<number[]> {
    return Object.values(await store.hGetAll(appliedKey)).map(Number);
  }

  return { service, Registered, Renamed, Ignored, ns, publisher, userKey, appliedKey, build, caughtUp, users, applyCounts, stream: publisher.stream };
}

describe('applying', () => {
  it('applies events and their checkpoint together; events it does not handle only move the checkpoint', async () => {
    const s = scenario();
    const projection = s.build();
    await projection.start();
    await s.publisher.publish(s.Registered, { userId: 'u1', name: 'Ada' });
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'Ada L.' });
    const last = await s.publisher.publish(s.Ignored, {});
    await s.caughtUp(projection);
    expect(await projection.checkpoints()).toEqual({ [s.stream]: last });
    expect(await store.hGetAll(s.userKey('u1'))).toEqual({ name: 'Ada L.', previous: 'Ada' });
    expect(await s.applyCounts()).toEqual([1, 1]);
    // The trim guard follows the checkpoint.
    const [group] = await groupsOf(bus, s.stream);
    expect(group).toMatchObject({ name: projection.group, lastDeliveredId: last, pending: 0 });
  });

  it('an apply that reads sees the writes of the entries before it in the same batch', async () => {
    const s = scenario();
    const envelopes = [
      s.publisher.envelope(s.Registered, { userId: 'u1', name: 'A0' }),
      s.publisher.envelope(s.Renamed, { userId: 'u1', name: 'A1' }),
      s.publisher.envelope(s.Renamed, { userId: 'u1', name: 'A2' }),
      s.publisher.envelope(s.Renamed, { userId: 'u1', name: 'A3' }),
    ];
    await s.publisher.publishEnvelopes(envelopes); // published before start: read as one batch
    const projection = s.build({ batchSize: 100 });
    await projection.start();
    await s.caughtUp(projection);
    expect(await store.hGetAll(s.userKey('u1'))).toEqual({ name: 'A3', previous: 'A2' });
  });
});

describe('catch-up', () => {
  it('a projection that was offline continues from its stored checkpoint and ends current', async () => {
    const s = scenario();
    const first = s.build();
    await first.start();
    await s.publisher.publish(s.Registered, { userId: 'u1', name: 'Ada' });
    await s.publisher.publish(s.Registered, { userId: 'u2', name: 'Bob' });
    await s.caughtUp(first);
    await first.close();

    // While it is down: changes keep coming.
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'Ada 2' });
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'Ada 3' });
    await s.publisher.publish(s.Registered, { userId: 'u3', name: 'Cy' });
    expect(await store.hGet(s.userKey('u1'), 'name')).toBe('Ada');

    const second = s.build();
    await second.start();
    await s.caughtUp(second);
    expect(await s.users()).toEqual({
      [s.userKey('u1')]: { name: 'Ada 3', previous: 'Ada 2' },
      [s.userKey('u2')]: { name: 'Bob' },
      [s.userKey('u3')]: { name: 'Cy' },
    });
    expect(await s.applyCounts()).toEqual([1, 1, 1, 1, 1]);
  });

  it('reads from its own checkpoint, not from the group position', async () => {
    const s = scenario();
    const first = s.build();
    await first.start();
    for (let i = 0; i < 5; i++) await s.publisher.publish(s.Registered, { userId: `u${i}`, name: `n${i}` });
    await s.caughtUp(first);
    await first.close();
    // Someone moves the group back to the start (or it was recreated).
    await bus.sendCommand(['XGROUP', 'SETID', s.stream, first.group, '0']);
    const last = await s.publisher.publish(s.Registered, { userId: 'u9', name: 'late' });

    const second = s.build();
    await second.start();
    await s.caughtUp(second);
    expect(await s.applyCounts()).toEqual([1, 1, 1, 1, 1, 1]);
    const [group] = await groupsOf(bus, s.stream);
    expect(group?.lastDeliveredId).toBe(last);
  });
});

describe('tips', () => {
  it('callers at once share a read, and each gets tips read after its call', async () => {
    const s = scenario();
    const projection = s.build();
    const first = await s.publisher.publish(s.Registered, { userId: 'u1', name: 'Ada' });
    await bus.sendCommand(['CONFIG', 'RESETSTAT']);
    const together = await Promise.all(Array.from({ length: 8 }, () => projection.tips()));
    for (const tips of together) expect(tips).toEqual({ [s.stream]: first });
    const stats = await bus.sendCommand<string>(['INFO', 'commandstats']);
    // One read, or two when the others arrived while the first was in flight; not eight.
    expect(Number(/cmdstat_xrevrange:calls=(\d+)/.exec(stats)?.[1])).toBeLessThanOrEqual(2);

    // A caller after an append sees it, though a read from before the append was in flight.
    const before = projection.tips();
    const appended = await s.publisher.publish(s.Registered, { userId: 'u2', name: 'Bo' });
    const after = projection.tips();
    expect((await before)[s.stream]).toBe(first);
    expect((await after)[s.stream]).toBe(appended);
  });
});

describe('at most once', () => {
  it('two instances running side by side apply every entry exactly once', async () => {
    const s = scenario();
    const reports: ProjectionReport[] = [];
    const a = s.build({ batchSize: 7, instance: 'a', onReport: (report) => reports.push(report) });
    const b = s.build({ batchSize: 7, instance: 'b', onReport: (report) => reports.push(report) });
    await Promise.all([a.start(), b.start()]);
    const total = 300;
    for (let round = 0; round < 10; round++) {
      await s.publisher.publishEnvelopes(
        Array.from({ length: total / 10 }, (_, i) => s.publisher.envelope(s.Registered, { userId: `u${round}-${i}`, name: `name ${round}-${i}` })),
      );
    }
    await s.caughtUp(a);
    const counts = await s.applyCounts();
    expect(counts).toHaveLength(total);
    expect(counts.every((count) => count === 1)).toBe(true);
    expect(reports.filter((report) => report.kind === 'loop-error')).toEqual([]);
  });

  it('a batch applied with a stale checkpoint (a redelivery, a slow instance) is refused whole', async () => {
    const s = scenario();
    const projection = s.build();
    await projection.start();
    const id = await s.publisher.publish(s.Registered, { userId: 'u1', name: 'Ada' });
    await s.caughtUp(projection);
    const stale = createRedisProjectionStore({ redis: store, namespace: `${s.ns}:projection`, readModel: { prefix: `${s.ns}:` } });
    await stale.open?.();
    try {
      const result = await stale.applyBatch(s.stream, '0', [
        { id, apply: (tx) => { tx.write(['HSET', s.userKey('u1'), 'name', 'again']); tx.write(['HINCRBY', s.appliedKey, id, '1']); } },
      ]);
      expect(result).toEqual({ committedThrough: null, conflict: id, failure: null });
    } finally {
      await stale.close?.();
    }
    expect(await store.hGet(s.userKey('u1'), 'name')).toBe('Ada');
    expect(await s.applyCounts()).toEqual([1]);
  });
});

describe('bad entries', () => {
  it('invalid entries are dead-lettered once (even with two instances) and skipped; the rest applies', async () => {
    const s = scenario();
    const good = s.publisher.envelope(s.Registered, { userId: 'u1', name: 'Ada' });
    const badData = { ...s.publisher.envelope(s.Registered, { userId: 'u2', name: 'x' }), data: { userId: 'u2' } };
    const badVersion = { ...s.publisher.envelope(s.Renamed, { userId: 'u1', name: 'y' }), version: 7 };
    await bus.sendCommand(['XADD', s.stream, '*', 'type', 'Registered', 'data', '{not json']);
    for (const envelope of [badData, badVersion, good]) {
      const fields = encodeEnvelope(envelope);
      await bus.sendCommand(['XADD', s.stream, '*', ...Object.entries(fields).flat()]);
    }
    const a = s.build({ instance: 'a' });
    const b = s.build({ instance: 'b' });
    await Promise.all([a.start(), b.start()]);
    await s.caughtUp(a);
    expect(await s.users()).toEqual({ [s.userKey('u1')]: { name: 'Ada' } });
    const letters = await waitFor(async () => {
      const list = await listDeadLetters(bus, s.stream);
      return list.length >= 3 ? list : null;
    }, { description: 'three dead letters' });
    expect(letters.map((letter) => letter.error)).toEqual([
      expect.stringMatching(/^invalid entry: missing field/),
      expect.stringMatching(/^invalid Registered: \/name/),
      'no apply for Renamed version 7',
    ]);
    expect(letters.every((letter) => letter.group === a.group)).toBe(true);
  });

  it('an apply that keeps failing is retried, then skipped and dead-lettered; later entries still apply', async () => {
    const s = scenario();
    let flaky = 2;
    const projection = s.build({
      maxAttempts: 3,
      failOn: (name) => name === 'poison' || (name === 'flaky' && flaky-- > 0),
    });
    await projection.start();
    await s.publisher.publish(s.Registered, { userId: 'u1', name: 'Ada' });
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'flaky' });
    const poison = await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'poison' });
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'after' });
    await s.caughtUp(projection);
    expect(await store.hGetAll(s.userKey('u1'))).toEqual({ name: 'after', previous: 'flaky' });
    const [letter] = await listDeadLetters(bus, s.stream);
    expect(letter).toMatchObject({ originalId: poison, error: 'cannot rename to poison', attempts: 3, handler: 'Renamed' });
    expect(await s.applyCounts()).toEqual([1, 1, 1]);
  });
});

describe('rebuild', () => {
  it('replaying from zero gives the same read model as applying incrementally', async () => {
    const s = scenario();
    const projection = s.build({ batchSize: 3 });
    await projection.start();
    for (let i = 0; i < 10; i++) {
      await s.publisher.publish(s.Registered, { userId: `u${i}`, name: `n${i}` });
      if (i % 3 === 0) await s.publisher.publish(s.Renamed, { userId: `u${i}`, name: `renamed ${i}` });
      if (i % 4 === 0) await s.publisher.publish(s.Renamed, { userId: `u${i}`, name: `again ${i}` });
    }
    await s.caughtUp(projection);
    const incremental = await s.users();
    expect(Object.keys(incremental)).toHaveLength(10);
    // Damage the read model, as a bug would.
    await store.hSet(s.userKey('u1'), 'name', 'corrupted');
    await store.del(s.userKey('u2'));
    await store.set('test:unrelated', 'kept');

    const targets = await projection.rebuild();
    expect(targets).toEqual(await projection.tips());
    expect(await projection.waitFor(targets, { timeoutMs: 10_000 })).toBe(true);
    expect(await s.users()).toEqual(incremental);
    // Cleared, then applied once each: the counts start over.
    expect((await s.applyCounts()).every((count) => count === 1)).toBe(true);
    expect(await store.get('test:unrelated')).toBe('kept');
    // And it follows live again.
    await s.publisher.publish(s.Renamed, { userId: 'u1', name: 'live' });
    await s.caughtUp(projection);
    expect(await store.hGet(s.userKey('u1'), 'name')).toBe('live');
  });
});

describe('trimming', () => {
  it('the trimmer keeps what an offline projection has not applied, and trims it once applied', async () => {
    const s = scenario();
    const first = s.build();
    await first.start();
    for (let i = 0; i < 3; i++) await s.publisher.publish(s.Registered, { userId: `u${i}`, name: `n${i}` });
    await s.caughtUp(first);
    await first.close();
    const later: string[] = [];
    for (let i = 3; i < 7; i++) later.push(await s.publisher.publish(s.Registered, { userId: `u${i}`, name: `n${i}` }));

    expect(await trimStream(bus, s.stream)).toBe(3);
    const kept = await bus.sendCommand<Array<[string, unknown]>>(['XRANGE', s.stream, '-', '+']);
    expect(kept.map(([id]) => id)).toEqual(later);

    const second = s.build();
    await second.start();
    await s.caughtUp(second);
    expect(Object.keys(await s.users())).toHaveLength(7);
    expect(await trimStream(bus, s.stream)).toBe(4);

    // What trimming removed is gone for a rebuild too (documented).
    await second.rebuild();
    await s.publisher.publish(s.Registered, { userId: 'u7', name: 'n7' });
    await s.caughtUp(second);
    expect(Object.keys(await s.users())).toEqual([s.userKey('u7')]);
  });
});

describe('metrics', () => {
  it('reports entries committed and zero lag once caught up', async () => {
    const s = scenario();
    const registry = new Registry();
    const projection = s.build({ registry });
    await projection.start();
    for (let i = 0; i < 4; i++) await s.publisher.publish(s.Registered, { userId: `u${i}`, name: `n${i}` });
    await s.caughtUp(projection);
    const text = await registry.metrics();
    const labels = `projection="${projection.name}",stream="${s.stream}"`;
    expect(text).toContain(`tributary_projection_lag_seconds{${labels}} 0`);
    expect(text).toMatch(new RegExp(`tributary_projection_entries_total\\{${labels.replace(/[{}]/g, '\\$&')}\\} 4`));
  });
});
