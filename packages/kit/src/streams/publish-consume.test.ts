import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createConsumer } from './consumer.ts';
import { decodeEnvelope, deriveEventId, type Envelope } from './envelope.ts';
import { defineEvent } from './events.ts';
import { createPublisher } from './publisher.ts';
import { parseEntries } from './commands.ts';
import { deferred, type Deferred, orderPlaced, within, pendingCount, uniqueService, useRedis, xlen } from './test-fixtures/harness.ts';

const t = useRedis();

async function expectTributaryError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TributaryError);
  expect((error as TributaryError).code).toBe(code);
}

describe('publishing', () => {
  it("writes a valid event to the service's own stream, '<service>:events'", async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    expect(publisher.stream).toBe(`${service}:events`);
    expect(placed.stream).toBe(`${service}:events`);

    const entryId = await publisher.publish(placed, { n: 1, orderId: 'o-1' });
    const entries = parseEntries(await t.redis.sendCommand(['XRANGE', `${service}:events`, '-', '+']));
    expect(entries.map((entry) => entry.id)).toEqual([entryId]);
    const decoded = decodeEnvelope(entries[0]!.fields);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.envelope).toMatchObject({ type: 'OrderPlaced', version: 1, source: service, data: { n: 1, orderId: 'o-1' } });
      expect(decoded.envelope.correlationId).toBe(decoded.envelope.id);
      expect(decoded.envelope.causationId).toBeNull();
    }
  });

  it('rejects invalid data with TRIB_INVALID_EVENT and writes nothing', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publish(placed, { n: 1, orderId: 'o-1' });
    const before = await xlen(t.redis, publisher.stream);

    const bad: unknown[] = [{ n: 'one', orderId: 'o-2' }, { n: -1, orderId: 'o-2' }, { n: 1 }, { n: 1, orderId: 'o', extra: true }, null, 'text'];
    for (const data of bad) {
      // @ts-expect-error: deliberately not an OrderPlaced payload
      await expectTributaryError(publisher.publish(placed, data), 'TRIB_INVALID_EVENT');
    }
    expect(() => publisher.envelope(placed, { n: 1.5, orderId: 'x' })).toThrow(TributaryError);
    expect(await xlen(t.redis, publisher.stream)).toBe(before);
  });

  it("rejects another service's event with TRIB_FOREIGN_STREAM and writes nothing", async () => {
    const service = uniqueService('shop');
    const other = uniqueService('billing');
    const publisher = createPublisher({ redis: t.redis, service });
    const foreign = orderPlaced(other);
    await expectTributaryError(publisher.publish(foreign, { n: 1, orderId: 'o-1' }), 'TRIB_FOREIGN_STREAM');
    // Nor through an envelope built elsewhere.
    const otherPublisher = createPublisher({ redis: t.redis, service: other });
    const built = otherPublisher.envelope(foreign, { n: 2, orderId: 'o-2' });
    await expectTributaryError(publisher.publishEnvelopes([built]), 'TRIB_FOREIGN_STREAM');
    expect(await xlen(t.redis, `${service}:events`)).toBe(0);
    expect(await xlen(t.redis, `${other}:events`)).toBe(0);
  });

  it('an event caused by another gets a derived id, the same correlation and the same trace', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const cause = publisher.envelope(placed, { n: 1, orderId: 'o-1' });
    const effect = publisher.envelope(placed, { n: 2, orderId: 'o-1' }, { causedBy: cause });
    expect(effect.id).toBe(deriveEventId(cause.id, 'OrderPlaced'));
    expect(effect.causationId).toBe(cause.id);
    expect(effect.correlationId).toBe(cause.correlationId);
    expect(effect.traceparent.split('-')[1]).toBe(cause.traceparent.split('-')[1]);
    expect(effect.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
  });

  it('publishEnvelopes writes a batch in order', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const envelopes = Array.from({ length: 50 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` }));
    const ids = await publisher.publishEnvelopes(envelopes);
    const entries = parseEntries(await t.redis.sendCommand(['XRANGE', publisher.stream, '-', '+']));
    expect(entries.map((entry) => entry.id)).toEqual(ids);
    expect(entries.map((entry) => entry.fields.id)).toEqual(envelopes.map((envelope) => envelope.id));
  });
});

describe('consuming', () => {
  it('delivers typed, parsed events in order and acks them', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const shipped = defineEvent({ source: service, type: 'OrderShipped', schema: Type.Object({ orderId: Type.String() }) });
    const publisher = createPublisher({ redis: t.redis, service });
    const seen: Array<{ kind: string; n?: number; orderId: string; entryId: string; deliveryCount: number; envelope: Envelope }> = [];
    const consumer = t.track(
      createConsumer({ redis: t.redis, stream: publisher.stream, group: 'mailing', consumer: 'mailing-1', batchSize: 7, blockMs: 100 })
        .on(placed, async (event, context) => {
          const n: number = event.data.n; // typed by the schema
          seen.push({ kind: 'placed', n, orderId: event.data.orderId, entryId: context.entryId, deliveryCount: context.deliveryCount, envelope: event });
        })
        .on(shipped, async (event, context) => {
          seen.push({ kind: 'shipped', orderId: event.data.orderId, entryId: context.entryId, deliveryCount: context.deliveryCount, envelope: event });
        }),
    );
    expect(consumer.name).toBe('mailing-1');

    // Some before start (catch-up from '0'), some after.
    const entryIds: string[] = [];
    for (let n = 0; n < 10; n++) entryIds.push(await publisher.publish(placed, { n, orderId: `o-${n}` }));
    await consumer.start();
    for (let n = 10; n < 30; n++) {
      entryIds.push(n % 3 === 0 ? await publisher.publish(shipped, { orderId: `o-${n}` }) : await publisher.publish(placed, { n, orderId: `o-${n}` }));
    }

    await waitFor(() => seen.length >= 30, { description: '30 events handled' });
    expect(seen.map((item) => item.entryId)).toEqual(entryIds);
    expect(seen.map((item) => item.orderId)).toEqual(entryIds.map((_, n) => `o-${n}`));
    for (const [n, item] of seen.entries()) {
      expect(item.kind).toBe(n >= 10 && n % 3 === 0 ? 'shipped' : 'placed');
      if (item.kind === 'placed') expect(item.n).toBe(n);
      expect(item.deliveryCount).toBe(1);
      expect(item.envelope.source).toBe(service);
    }
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'mailing')) === 0, { description: 'all acked' });
    expect(seen).toHaveLength(30);
  });

  it('acks events of types the group does not subscribe to, without handling them', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const ignored = defineEvent({ source: service, type: 'Ignored', schema: Type.Object({}) });
    const publisher = createPublisher({ redis: t.redis, service });
    const handled: number[] = [];
    const consumer = t.track(createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'c', blockMs: 100 }).on(placed, async (event) => {
      handled.push(event.data.n);
    }));
    await consumer.start();
    await publisher.publish(ignored, {});
    await publisher.publish(placed, { n: 1, orderId: 'o' });
    await waitFor(() => handled.length === 1);
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0);
    expect(handled).toEqual([1]);
  });

  it("a group started at '$' sees only events published after it was created", async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publish(placed, { n: 1, orderId: 'old' });
    const handled: string[] = [];
    const consumer = t.track(
      createConsumer({ redis: t.redis, stream: publisher.stream, group: 'live', consumer: 'live-1', blockMs: 100, startFrom: '$' }).on(placed, async (event) => {
        handled.push(event.data.orderId);
      }),
    );
    await consumer.start();
    await publisher.publish(placed, { n: 2, orderId: 'new' });
    await waitFor(() => handled.length === 1);
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'live')) === 0);
    expect(handled).toEqual(['new']);
  });

  it('refuses on() after start() and a second start()', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const consumer = t.track(createConsumer({ redis: t.redis, stream: placed.stream, group: 'g', blockMs: 100 }).on(placed, async () => undefined));
    await consumer.start();
    const onError = (() => {
      try {
        consumer.on(placed, async () => undefined);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect((onError as TributaryError).code).toBe('TRIB_CONSUMER_STATE');
    await expectTributaryError(consumer.start(), 'TRIB_CONSUMER_STATE');
  });

  it('refuses a handler for an event published on another stream', () => {
    const consumer = createConsumer({ redis: t.redis, stream: 'a:events', group: 'g' });
    expect(() => consumer.on(orderPlaced('b'), async () => undefined)).toThrow(TributaryError);
  });

  it('refuses claimIdleMs not above backoffMaxMs', () => {
    expect(() => createConsumer({ redis: t.redis, stream: 'a:events', group: 'g', claimIdleMs: 100, backoffMaxMs: 100 })).toThrow(TributaryError);
  });
});

describe('consumer groups', () => {
  it('instances of one group share the work: each event handled exactly once, both get some', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const total = 200;
    const handledBy = new Map<string, string[]>();
    const bHasWork = deferred();
    const aHasWork = deferred();
    const record = (consumer: string, id: string) => handledBy.set(id, [...(handledBy.get(id) ?? []), consumer]);

    // Publish everything first, so the first instance to start could take it all
    // if the group did not share: each instance waits, on its first event, until
    // the other has an event of its own (deterministic proof both get work).
    await publisher.publishEnvelopes(Array.from({ length: total }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));

    const make = (name: string, mine: Deferred, theirs: Deferred) =>
      t.track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'workers', consumer: name, batchSize: 5, blockMs: 100 }).on(placed, async (event) => {
          record(name, event.id);
          mine.resolve();
          await within(theirs.promise, 15_000, `the other instance of ${name} got no work`);
        }),
      );
    const a = make('a', aHasWork, bHasWork);
    const b = make('b', bHasWork, aHasWork);
    await Promise.all([a.start(), b.start()]);

    await waitFor(() => handledBy.size === total, { timeoutMs: 20_000, description: 'every event handled' });
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'workers')) === 0, { description: 'all acked' });
    const counts = { a: 0, b: 0 };
    for (const [, consumers] of handledBy) {
      expect(consumers).toHaveLength(1);
      counts[consumers[0] as 'a' | 'b']++;
    }
    expect(counts.a).toBeGreaterThan(0);
    expect(counts.b).toBeGreaterThan(0);
    expect(counts.a + counts.b).toBe(total);
  });

  it('every group sees every event', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const total = 200;
    const seen = { mailing: [] as number[], monitoring: [] as number[] };
    for (const group of ['mailing', 'monitoring'] as const) {
      await t
        .track(createConsumer({ redis: t.redis, stream: publisher.stream, group, consumer: `${group}-1`, batchSize: 16, blockMs: 100 }).on(placed, async (event) => {
          seen[group].push(event.data.n);
        }))
        .start();
    }
    await publisher.publishEnvelopes(Array.from({ length: total }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    await waitFor(() => seen.mailing.length >= total && seen.monitoring.length >= total, { description: 'both groups saw everything' });
    for (const group of ['mailing', 'monitoring'] as const) {
      await waitFor(async () => (await pendingCount(t.redis, publisher.stream, group)) === 0);
      expect(seen[group]).toEqual(Array.from({ length: total }, (_, n) => n));
    }
  });
});
