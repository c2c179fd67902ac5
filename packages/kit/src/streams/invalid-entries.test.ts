import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { flatten } from './commands.ts';
import { createConsumer, type ConsumerReport } from './consumer.ts';
import { countDeadLetters, listDeadLetters } from './dead-letters.ts';
import { encodeEnvelope } from './envelope.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

describe('invalid entries', () => {
  it('go to the dead-letter stream at once, with the reason, and the consumer keeps running', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    const handled: number[] = [];
    const reports: ConsumerReport[] = [];
    await t
      .track(
        createConsumer({
          redis: t.redis, stream, group: 'g', consumer: 'g-1', blockMs: 100,
          maxAttempts: 5, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
          onReport: (report) => reports.push(report),
        }).on(placed, async (event) => {
          handled.push(event.data.n);
        }),
      )
      .start();

    // Someone writes to the stream without the kit.
    const valid = encodeEnvelope(publisher.envelope(placed, { n: 0, orderId: 'template' }));
    const xadd = (fields: Record<string, string>) => t.redis.sendCommand<string>(['XADD', stream, '*', ...flatten(fields)]);
    const notJson = await xadd({ ...valid, data: '{"n": 1,' });
    const missing = await xadd({ hello: 'world' });
    const badSchema = await xadd({ ...valid, data: JSON.stringify({ n: 'three', orderId: 'o-3' }) });
    const badVersion = await xadd({ ...valid, version: '7' });
    const good = await publisher.publish(placed, { n: 42, orderId: 'o-42' });

    await waitFor(() => handled.includes(42), { description: 'the valid event after the bad ones is handled' });
    await waitFor(async () => (await pendingCount(t.redis, stream, 'g')) === 0, { description: 'everything acked' });
    expect(handled).toEqual([42]);
    expect(await countDeadLetters(t.redis, stream)).toBe(4);

    const letters = await listDeadLetters(t.redis, stream);
    const byOriginal = new Map(letters.map((letter) => [letter.originalId, letter]));
    expect(byOriginal.get(notJson)?.error).toMatch(/^invalid entry: data is not JSON/);
    expect(byOriginal.get(missing)?.error).toMatch(/^invalid entry: missing field "id"/);
    expect(byOriginal.get(missing)?.fields).toEqual({ hello: 'world' });
    expect(byOriginal.get(badSchema)?.error).toMatch(/^invalid OrderPlaced: \/n/);
    expect(byOriginal.get(badVersion)?.error).toBe('no handler for OrderPlaced version 7');
    expect(byOriginal.has(good)).toBe(false);
    for (const letter of letters) {
      expect(letter).toMatchObject({ group: 'g', consumer: 'g-1', attempts: 1 });
    }
    // No retries: an invalid entry stays invalid.
    expect(reports.filter((report) => report.kind === 'retry')).toEqual([]);
    expect(reports.filter((report) => report.kind === 'loop-error')).toEqual([]);
    expect(reports.filter((report) => report.kind === 'dead-lettered')).toHaveLength(4);
  });

  it("of a type the group does not subscribe to are acked unread: they are for the groups that want that type", async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    const handled: number[] = [];
    await t
      .track(
        createConsumer({ redis: t.redis, stream, group: 'g', consumer: 'g-1', blockMs: 100, claimIdleMs: 10_000 }).on(placed, async (event) => {
          handled.push(event.data.n);
        }),
      )
      .start();
    const other = { ...encodeEnvelope(publisher.envelope(placed, { n: 0, orderId: 'template' })), type: 'SomethingElse', data: '{"not json' };
    await t.redis.sendCommand<string>(['XADD', stream, '*', ...flatten(other)]);
    await publisher.publish(placed, { n: 7, orderId: 'o-7' });

    await waitFor(() => handled.includes(7), { description: 'the subscribed event after it is handled' });
    await waitFor(async () => (await pendingCount(t.redis, stream, 'g')) === 0, { description: 'both acked' });
    expect(await countDeadLetters(t.redis, stream)).toBe(0);
  });
});
