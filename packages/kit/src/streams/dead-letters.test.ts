import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { groupsOf } from './commands.ts';
import { createConsumer, type ConsumerReport } from './consumer.ts';
import { adoptLegacyDeadLetters, countDeadLetters, listDeadLetters, replayDeadLetters } from './dead-letters.ts';
import { decodeEnvelope } from './envelope.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

const fast = { blockMs: 100, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000 };

describe('retries and dead letters', () => {
  it('retries a failing handler up to maxAttempts, dead-letters it, and replays it to the failing group only', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;

    let failing = true;
    const attempts: number[] = [];
    const billed: Array<{ n: number; eventId: string; entryId: string }> = [];
    const billingReports: ConsumerReport[] = [];
    const billing = t.track(
      createConsumer({ redis: t.redis, stream, group: 'billing', consumer: 'billing-1', ...fast, onReport: (r) => billingReports.push(r) }).on(
        placed,
        async (event, context) => {
          if (event.data.n === 3) {
            attempts.push(context.deliveryCount);
            if (failing) throw new Error(`card declined for ${event.data.orderId}`);
          }
          billed.push({ n: event.data.n, eventId: event.id, entryId: context.entryId });
        },
      ),
    );
    const audited: Array<{ n: number; eventId: string }> = [];
    const audit = t.track(
      createConsumer({ redis: t.redis, stream, group: 'audit', consumer: 'audit-1', ...fast }).on(placed, async (event) => {
        audited.push({ n: event.data.n, eventId: event.id });
      }),
    );
    await billing.start();
    await audit.start();

    const entryIds: string[] = [];
    for (let n = 1; n <= 5; n++) entryIds.push(await publisher.publish(placed, { n, orderId: `o-${n}` }));

    await waitFor(async () => (await countDeadLetters(t.redis, stream)) === 1, { description: 'one dead letter' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(billingReports.filter((r) => r.kind === 'retry').map((r) => (r.kind === 'retry' ? r.attempt : 0))).toEqual([1, 2]);
    await waitFor(async () => (await pendingCount(t.redis, stream, 'billing')) === 0, { description: 'the failed entry is acked on the source stream' });
    await waitFor(() => audited.length === 5 && billed.length === 4);
    expect(billed.map((b) => b.n)).toEqual([1, 2, 4, 5]);

    const [letter, ...others] = await listDeadLetters(t.redis, stream);
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      stream,
      originalId: entryIds[2],
      group: 'billing',
      consumer: 'billing-1',
      handler: 'OrderPlaced',
      error: 'card declined for o-3',
      attempts: 3,
    });
    expect(Number.isNaN(Date.parse(letter!.at))).toBe(false);
    // The raw entry carries the documented fields...
    const raw = (await t.redis.sendCommand<Array<[string, string[]]>>(['XRANGE', `{${stream}}:dlq`, '-', '+']))[0]![1];
    const rawFields = Object.fromEntries(raw.flatMap((_, i) => (i % 2 === 0 ? [[raw[i], raw[i + 1]]] : [])));
    expect(rawFields).toMatchObject({ 'dlq:error': 'card declined for o-3', 'dlq:group': 'billing', 'dlq:consumer': 'billing-1', 'dlq:attempts': '3' });
    // ...and the original envelope, intact.
    const original = decodeEnvelope(letter!.fields);
    expect(original.ok && original.envelope.data).toEqual({ n: 3, orderId: 'o-3' });
    const originalEventId = original.ok ? original.envelope.id : '';
    expect(audited.find((a) => a.n === 3)?.eventId).toBe(originalEventId);

    // The operator fixes the cause and replays.
    failing = false;
    const replayed = await replayDeadLetters(t.redis, stream);
    expect(replayed).toHaveLength(1);
    const replayedId = replayed[0]!;
    expect(replayedId).toMatch(/^\d+-\d+$/);

    await waitFor(() => billed.some((b) => b.n === 3), { description: 'billing handles the replayed event' });
    expect(billed.find((b) => b.n === 3)).toEqual({ n: 3, eventId: originalEventId, entryId: replayedId });
    expect(attempts).toEqual([1, 2, 3, 1]);
    // audit has read past the replayed copy and acked it without handling it.
    await waitFor(async () => {
      const group = (await groupsOf(t.redis, stream)).find((g) => g.name === 'audit');
      return group?.lastDeliveredId === replayedId && group.pending === 0;
    }, { description: 'audit skipped the replayed copy' });
    await waitFor(async () => (await pendingCount(t.redis, stream, 'billing')) === 0);
    expect(audited.filter((a) => a.n === 3)).toHaveLength(1);
    expect(audited).toHaveLength(5);
    expect(await countDeadLetters(t.redis, stream)).toBe(0);
    expect(await listDeadLetters(t.redis, stream)).toEqual([]);
  });

  it('replays only the dead letters asked for', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    let failing = true;
    const handled: number[] = [];
    await t
      .track(createConsumer({ redis: t.redis, stream, group: 'g', consumer: 'g-1', ...fast, maxAttempts: 1 }).on(placed, async (event) => {
        if (failing) throw new Error('down');
        handled.push(event.data.n);
      }))
      .start();
    await publisher.publish(placed, { n: 1, orderId: 'a' });
    await publisher.publish(placed, { n: 2, orderId: 'b' });
    await waitFor(async () => (await countDeadLetters(t.redis, stream)) === 2);
    const letters = await listDeadLetters(t.redis, stream);
    expect(letters.map((l) => l.attempts)).toEqual([1, 1]);

    failing = false;
    expect(await replayDeadLetters(t.redis, stream, { ids: [letters[1]!.id] })).toHaveLength(1);
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual([2]);
    expect((await listDeadLetters(t.redis, stream)).map((l) => l.id)).toEqual([letters[0]!.id]);
  });

  it('dead-letters an entry already delivered more than maxAttempts times (a poison entry that kills its consumers) without handling it', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    await t.redis.sendCommand(['XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM']);
    const entryId = await publisher.publish(placed, { n: 1, orderId: 'poison' });
    // Three consumers took it and died: delivery count 3.
    await t.redis.sendCommand(['XREADGROUP', 'GROUP', 'g', 'dead-1', 'COUNT', '1', 'STREAMS', stream, '>']);
    await t.redis.sendCommand(['XCLAIM', stream, 'g', 'dead-2', '0', entryId]);
    await t.redis.sendCommand(['XCLAIM', stream, 'g', 'dead-3', '0', entryId]);

    const handled: number[] = [];
    await t
      .track(createConsumer({ redis: t.redis, stream, group: 'g', consumer: 'g-1', ...fast, claimIdleMs: 100, backoffMaxMs: 20 }).on(placed, async (event) => {
        handled.push(event.data.n);
      }))
      .start();
    await waitFor(async () => (await countDeadLetters(t.redis, stream)) === 1);
    await waitFor(async () => (await pendingCount(t.redis, stream, 'g')) === 0);
    const [letter] = await listDeadLetters(t.redis, stream);
    expect(letter).toMatchObject({ originalId: entryId, group: 'g', consumer: 'g-1', attempts: 4 });
    expect(handled).toEqual([]);
  });
});

describe('dead letters kept under their name from before Cluster support', () => {
  const addLetter = (key: string, n: number) =>
    t.redis.sendCommand(['XADD', key, '*', 'type', 'OrderPlaced', 'data', JSON.stringify({ n }), 'dlq:group', 'billing', 'dlq:error', `e${n}`]);

  it('are renamed to the hash-tagged key when it is absent, and appended to it when both exist', async () => {
    const renamed = `${uniqueService('old')}:events`;
    const merged = `${uniqueService('old')}:events`;
    const untouched = `${uniqueService('old')}:events`;
    for (const n of [1, 2]) await addLetter(`${renamed}:dlq`, n);
    for (const n of [1, 2, 3]) await addLetter(`${merged}:dlq`, n);
    await addLetter(`{${merged}}:dlq`, 9);
    await addLetter(`{${untouched}}:dlq`, 7);

    expect(await adoptLegacyDeadLetters(t.redis, [renamed, merged, untouched])).toEqual({ [renamed]: 2, [merged]: 3 });

    expect(Number(await t.redis.sendCommand(['EXISTS', `${renamed}:dlq`, `${merged}:dlq`]))).toBe(0);
    expect((await listDeadLetters(t.redis, renamed)).map((l) => l.error)).toEqual(['e1', 'e2']);
    expect((await listDeadLetters(t.redis, merged)).map((l) => l.error)).toEqual(['e9', 'e1', 'e2', 'e3']);
    expect((await listDeadLetters(t.redis, untouched)).map((l) => l.error)).toEqual(['e7']);
    // A second run finds nothing left to move.
    expect(await adoptLegacyDeadLetters(t.redis, [renamed, merged, untouched])).toEqual({});
  });
});
