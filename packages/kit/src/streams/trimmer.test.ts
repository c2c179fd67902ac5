import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { parseEntries } from './commands.ts';
import { createPublisher } from './publisher.ts';
import { safeTrimPoint, startTrimmer, trimStream } from './trimmer.ts';
import { orderPlaced, uniqueService, useRedis, xlen } from './test-fixtures/harness.ts';

const t = useRedis();

/** A stream with `count` events; returns its name and entry ids (index = n). */
async function streamWith(count: number): Promise<{ stream: string; ids: string[] }> {
  const service = uniqueService('shop');
  const placed = orderPlaced(service);
  const publisher = createPublisher({ redis: t.redis, service });
  const ids = await publisher.publishEnvelopes(Array.from({ length: count }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
  return { stream: publisher.stream, ids };
}

const createGroup = (stream: string, group: string, start = '0') => t.redis.sendCommand(['XGROUP', 'CREATE', stream, group, start]);

async function read(stream: string, group: string, consumer: string, id: string, count = 1000) {
  const reply = await t.redis.sendCommand<Array<[string, unknown]> | null>(['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(count), 'STREAMS', stream, id]);
  return reply?.[0] ? parseEntries(reply[0][1]) : [];
}

const ack = (stream: string, group: string, ids: string[]) => t.redis.sendCommand(['XACK', stream, group, ...ids]);

async function rangeIds(stream: string): Promise<string[]> {
  return parseEntries(await t.redis.sendCommand(['XRANGE', stream, '-', '+'])).map((entry) => entry.id);
}

/** Group A has read and acked everything. */
async function groupDoneWithAll(stream: string, group: string, ids: string[]) {
  await createGroup(stream, group);
  expect((await read(stream, group, `${group}-1`, '>')).map((e) => e.id)).toEqual(ids);
  await ack(stream, group, ids);
}

describe('safe trimming', () => {
  it('keeps everything a lagging group still has pending or undelivered, and trims what every group is done with', async () => {
    const { stream, ids } = await streamWith(10);
    await groupDoneWithAll(stream, 'fast', ids);
    // The slow group has read 0..3, acked 0..1: 2 and 3 are pending (e.g. on a dead consumer), 4..9 undelivered.
    await createGroup(stream, 'slow');
    expect((await read(stream, 'slow', 'slow-1', '>', 4)).map((e) => e.id)).toEqual(ids.slice(0, 4));
    await ack(stream, 'slow', ids.slice(0, 2));

    expect(await safeTrimPoint(t.redis, stream)).toBe(ids[2]);
    expect(await trimStream(t.redis, stream)).toBe(2);
    expect(await rangeIds(stream)).toEqual(ids.slice(2));
    // Trimming again is a no-op.
    expect(await trimStream(t.redis, stream)).toBe(0);

    // The slow group can still read its pending entries with their contents...
    const pending = await read(stream, 'slow', 'slow-1', '0');
    expect(pending.map((e) => e.id)).toEqual(ids.slice(2, 4));
    for (const entry of pending) expect(entry.fields.type).toBe('OrderPlaced');
    // ...and everything it has not been delivered yet.
    const rest = await read(stream, 'slow', 'slow-1', '>');
    expect(rest.map((e) => e.id)).toEqual(ids.slice(4));
    await ack(stream, 'slow', ids.slice(2, 9));

    // Everything but the last entry is now done by both groups.
    expect(await trimStream(t.redis, stream)).toBe(7);
    expect(await rangeIds(stream)).toEqual([ids[9]]);
    await ack(stream, 'slow', [ids[9]!]);
    expect(await trimStream(t.redis, stream)).toBe(1);
    expect(await xlen(t.redis, stream)).toBe(0);
  });

  it('trims nothing while a group has not read anything yet', async () => {
    const { stream, ids } = await streamWith(10);
    await groupDoneWithAll(stream, 'fast', ids);
    await createGroup(stream, 'new', '0');
    expect(await trimStream(t.redis, stream)).toBe(0);
    expect(await rangeIds(stream)).toEqual(ids);
    expect((await read(stream, 'new', 'new-1', '>')).map((e) => e.id)).toEqual(ids);
  });

  it('trims what a group has acked even when nothing is pending, but not what it has not been delivered', async () => {
    const { stream, ids } = await streamWith(10);
    await groupDoneWithAll(stream, 'fast', ids);
    await createGroup(stream, 'slow');
    await ack(stream, 'slow', (await read(stream, 'slow', 'slow-1', '>', 4)).map((e) => e.id));
    expect(await trimStream(t.redis, stream)).toBe(4);
    expect(await rangeIds(stream)).toEqual(ids.slice(4));
    expect((await read(stream, 'slow', 'slow-1', '>')).map((e) => e.id)).toEqual(ids.slice(4));
  });

  it('a group that started at "$" does not hold back older entries', async () => {
    const { stream, ids } = await streamWith(5);
    await createGroup(stream, 'late', '$');
    expect(await trimStream(t.redis, stream)).toBe(5);
    expect(await rangeIds(stream)).toEqual([]);
    expect(ids).toHaveLength(5);
  });

  it('does not trim a stream without groups, nor fail on a missing stream', async () => {
    const { stream, ids } = await streamWith(10);
    expect(await safeTrimPoint(t.redis, stream)).toBeNull();
    expect(await trimStream(t.redis, stream)).toBe(0);
    expect(await rangeIds(stream)).toEqual(ids);
    expect(await trimStream(t.redis, 'nothing-here:events')).toBe(0);
  });

  it('with ungroupedMinAgeMs trims a stream without groups to that age, and leaves one with a group to its groups', async () => {
    const { stream, ids } = await streamWith(2);
    const hourAgo = Date.now() - 3_600_000;
    const lonely = `${stream}:lonely`;
    for (const id of [`${hourAgo}-0`, `${hourAgo}-1`]) await t.redis.sendCommand(['XADD', lonely, id, 'n', id]);
    const fresh = await t.redis.sendCommand<string>(['XADD', lonely, '*', 'n', 'now']);
    expect(await trimStream(t.redis, lonely, { ungroupedMinAgeMs: 60_000 })).toBe(2);
    expect(await rangeIds(lonely)).toEqual([fresh]);
    // A group that has read nothing holds everything back, whatever the age option.
    await createGroup(stream, 'g');
    expect(await trimStream(t.redis, stream, { ungroupedMinAgeMs: 0 })).toBe(0);
    expect(await rangeIds(stream)).toEqual(ids);
  });

  it('with minAgeMs keeps consumed entries younger than that, and trims the older ones', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    // Two entries with ids of an hour ago, two of now: the id is the entry's time.
    const hourAgo = Date.now() - 3_600_000;
    const old = [`${hourAgo}-0`, `${hourAgo}-1`];
    for (const id of old) await t.redis.sendCommand(['XADD', stream, id, 'n', id]);
    const fresh = await publisher.publishEnvelopes([publisher.envelope(placed, { n: 1, orderId: 'o-1' }), publisher.envelope(placed, { n: 2, orderId: 'o-2' })]);
    await groupDoneWithAll(stream, 'g', [...old, ...fresh]);
    expect(await trimStream(t.redis, stream, { minAgeMs: 60_000 })).toBe(2);
    expect(await rangeIds(stream)).toEqual(fresh);
    // Without an age, what the group is done with goes.
    expect(await trimStream(t.redis, stream)).toBe(2);
    expect(await rangeIds(stream)).toEqual([]);
  });

  it('startTrimmer trims periodically until closed', async () => {
    const { stream, ids } = await streamWith(6);
    await createGroup(stream, 'g');
    await read(stream, 'g', 'g-1', '>', 3);
    await ack(stream, 'g', ids.slice(0, 3));
    const errors: Error[] = [];
    const trimmer = startTrimmer({ redis: t.redis, streams: [stream], intervalMs: 20, onError: (error) => errors.push(error) });
    try {
      await waitFor(async () => (await xlen(t.redis, stream)) === 3, { description: 'trimmed to the unread entries' });
    } finally {
      trimmer.close();
    }
    expect(await rangeIds(stream)).toEqual(ids.slice(3));
    expect(errors).toEqual([]);
  });
});
