import { describe, expect, it } from 'vitest';
import { parseEntries } from '../streams/commands.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createReplicator, type Replicator } from './replicator.ts';
import { replicationStatus } from './status.ts';
import { trimLog } from './trim.ts';
import type { LogEntry } from './operations.ts';
import type { Region } from './region.ts';
import { syncAll, useRegionServers } from './test-fixtures/regions.ts';

const env = useRegionServers(3);

async function logOf(region: Region): Promise<LogEntry[]> {
  return parseEntries(await region.redis.sendCommand(['XRANGE', region.keys.log, '-', '+']));
}

describe('active/active regions', () => {
  it('replicates every type, and reads are the plain Redis reads of the local value', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    expect(await a.incrBy('hits', 5)).toBe(5);
    await b.incrBy('hits', -2);
    await a.addToSet('team', 'ada');
    await b.setRegister('motto', 'first');
    await a.setField('profile', 'city', 'Oslo');
    expect(await a.incrMember('board', 'ada', 3)).toBe(3);
    await b.incrMember('board', 'ada', 4);
    await syncAll([a, b]);
    for (const region of [a, b]) {
      expect(await region.redis.get(region.keys.value('hits'))).toBe('3');
      expect(await region.redis.sMembers(region.keys.value('team'))).toEqual(['ada']);
      expect(await region.redis.get(region.keys.value('motto'))).toBe('first');
      expect(await region.redis.hGet(region.keys.value('profile'), 'city')).toBe('Oslo');
      expect(await region.redis.zScore(region.keys.value('board'), 'ada')).toBe(7);
    }
    // Each side's contribution to the counter is kept beside it.
    expect(await b.redis.hGetAll(b.keys.meta('hits'))).toEqual({ r0: '5', r1: '-2' });
  });

  it('applies a write with an operation id once: an event handler\'s redelivery changes nothing', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    const once = { operationId: 'evt-1' };
    expect(await a.incrBy('hits', 2, once)).toBe(2);
    expect(await a.incrBy('hits', 2, once)).toBe(2);
    expect(await a.incrMember('board', 'tea', 3, { operationId: 'evt-2' })).toBe(3);
    expect(await a.incrMember('board', 'tea', 3, { operationId: 'evt-2' })).toBe(3);
    expect(await a.addToSet('team', 'ada', { operationId: 'evt-3' })).toBe('added');
    expect(await a.addToSet('team', 'ada', { operationId: 'evt-3' })).toBe('duplicate');
    const stamp = await a.setField('profile', 'city', 'Oslo', { operationId: 'evt-4' });
    expect(await a.setField('profile', 'city', 'Bergen', { operationId: 'evt-4' })).toBe(stamp);
    expect(await a.removeFromSet('team', 'ada', { operationId: 'evt-5' })).toBe('removed');
    expect(await a.removeFromSet('team', 'ada', { operationId: 'evt-5' })).toBe('duplicate');
    // The same id under another write is that write's own business: ids are per caller, like event ids.
    expect(await a.incrBy('other', 1, { operationId: 'evt-6', rememberSeconds: 60 })).toBe(1);
    expect(await a.redis.ttl(a.keys.operation('evt-6'))).toBeGreaterThan(0);
    expect(await a.redis.xLen(a.keys.log)).toBe(6);
    await syncAll([a, b]);
    expect([await b.counter('hits'), (await b.scores('board'))[0]?.score, await b.fields('profile')]).toEqual([2, 3, { city: 'Oslo' }]);
    await expect(a.incrBy('hits', 1, { operationId: '' })).rejects.toThrow(TypeError);
  });

  it('refuses bad input before touching anything', async () => {
    const [a] = env.regions(1) as [Region];
    await expect(a.incrBy('hits', 1.5)).rejects.toThrow(RangeError);
    await expect(a.incrBy('', 1)).rejects.toThrow(TypeError);
    await expect(a.addToSet('team', '')).rejects.toThrow(TypeError);
    await expect(a.incrMember('board', 'ada', Number.NaN)).rejects.toThrow(RangeError);
    await expect(a.setField('profile', '', 'x')).rejects.toThrow(TypeError);
    expect(await a.redis.exists([a.keys.log, a.keys.value('hits'), a.keys.value('team'), a.keys.value('board')])).toBe(0);
  });

  it('applies an entry once: a redelivery is a duplicate and one out of order a gap, neither changes anything', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    await a.incrBy('hits', 1);
    await a.incrBy('hits', 10);
    const [first, second] = (await logOf(a)) as [LogEntry, LogEntry];
    // `second` follows `first` in a's log; before `first` it cannot be applied.
    expect(await b.applyRemote('r0', first.id, second)).toBe('gap');
    expect(await b.applyRemote('r0', '0-0', first)).toBe('applied');
    expect(await b.applyRemote('r0', '0-0', first)).toBe('duplicate');
    expect(await b.counter('hits')).toBe(1);
    expect(await b.applyRemote('r0', first.id, second)).toBe('applied');
    expect(await b.applyRemote('r0', first.id, second)).toBe('duplicate');
    expect(await b.counter('hits')).toBe(11);
    expect(await b.redis.get(b.keys.cursor('r0'))).toBe(second.id);
  });

  it('orders register writes by their hybrid clock: a write made after seeing another wins', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    const earlier = await a.setRegister('motto', 'from a');
    await syncAll([a, b]);
    const later = await b.setRegister('motto', 'from b, having seen a');
    const [lA, cA] = earlier.split(':').map(Number) as [number, number];
    const [lB, cB] = later.split(':').map(Number) as [number, number];
    expect(lB > lA || (lB === lA && cB > cA)).toBe(true);
    // Concurrent writes to two fields of one hash do not touch each other.
    await a.setField('profile', 'city', 'Oslo');
    await b.setField('profile', 'name', 'Ada');
    await syncAll([a, b]);
    for (const region of [a, b]) {
      expect(await region.register('motto')).toBe('from b, having seen a');
      expect(await region.fields('profile')).toEqual({ city: 'Oslo', name: 'Ada' });
    }
  });

  it('a write after seeing another wins even when the writer\'s clock is a minute behind', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    // a's clock runs a minute ahead of b's (the clock key is the HLC's state, as if TIME had said so).
    await a.redis.set(a.keys.clock, `${Date.now() + 60_000}:0`);
    const ahead = await a.setRegister('motto', 'from a, clock ahead');
    await syncAll([a, b]);
    const behind = await b.setRegister('motto', 'from b, after seeing a');
    expect(Number(behind.split(':')[0])).toBeGreaterThanOrEqual(Number(ahead.split(':')[0]));
    await syncAll([a, b]);
    for (const region of [a, b]) expect(await region.register('motto')).toBe('from b, after seeing a');
  });

  it('keeps a remove that overtakes its add (through a third region) from resurrecting the member', async () => {
    const [a, b, c] = env.regions(3) as [Region, Region, Region];
    const sync = (source: Region, target: Region) => createReplicator({ source: { region: source.id, redis: source.redis }, target }).syncOnce();
    await a.addToSet('team', 'ada');
    await sync(a, c);
    expect(await c.removeFromSet('team', 'ada')).toBe('removed');
    await sync(c, b); // b learns of the remove before the add
    expect(await b.redis.sCard(b.keys.tombstones('team'))).toBe(1);
    await sync(a, b);
    await syncAll([a, b, c]);
    for (const region of [a, b, c]) {
      expect(await region.members('team')).toEqual([]);
      // Every add has arrived everywhere, so no tombstone is left.
      expect(await region.redis.exists(region.keys.tombstones('team'))).toBe(0);
    }
  });

  it('a running replicator tails the other region and catches up after its connections drop', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    const errors: unknown[] = [];
    const replicator: Replicator = createReplicator({ source: { region: a.id, redis: a.redis }, target: b, blockMs: 100, retryMs: 50, onError: (error) => errors.push(error) });
    replicator.start();
    try {
      await a.incrBy('hits', 1);
      await waitFor(async () => (await b.counter('hits')) === 1, { description: 'first increment replicated' });
      // The source goes away: its log is only in memory, so only writes after it is back are replicated.
      await a.redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      await a.incrBy('hits', 2);
      await waitFor(async () => (await b.counter('hits')) === 3, { description: 'replicated after the disconnection' });
    } finally {
      await replicator.close();
    }
  });

  it('refuses a key used as two types, locally and from another region, before writing anything', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    await a.addToSet('x', 'ada');
    await expect(a.incrBy('x', 1)).rejects.toThrow(/WRONG_TYPE x holds a set, not a string/);
    await expect(a.setField('x', 'f', 'v')).rejects.toThrow(/WRONG_TYPE/);
    expect(await a.redis.xLen(a.keys.log)).toBe(1);
    await b.incrBy('x', 5);
    const replicator = createReplicator({ source: { region: a.id, redis: a.redis }, target: b });
    await expect(replicator.syncOnce()).rejects.toThrow(/WRONG_TYPE x holds a string, not a set/);
    expect(await b.redis.get(b.keys.cursor('r0'))).toBeNull();
    expect(await b.redis.hGetAll(b.keys.meta('x'))).toEqual({ r1: '5' });
  });

  it('reports how far a region is behind, and trims a log only below what every peer has applied', async () => {
    const [a, b, c] = env.regions(3) as [Region, Region, Region];
    const peer = (region: Region) => ({ region: region.id, redis: region.redis });
    for (let i = 0; i < 5; i++) await a.incrBy('hits', 1);
    expect(await replicationStatus(peer(a), b)).toMatchObject({ source: 'r0', target: 'r1', cursor: '0-0', pending: 5 });
    expect((await replicationStatus(peer(a), b)).oldestPendingMs).toBeGreaterThanOrEqual(0);
    expect(await trimLog(a, [peer(b), peer(c)])).toBe(0); // nobody has applied anything yet

    await createReplicator({ source: peer(a), target: b }).syncOnce();
    expect(await replicationStatus(peer(a), b)).toMatchObject({ pending: 0, oldestPendingMs: 0 });
    expect(await trimLog(a, [peer(b), peer(c)])).toBe(0); // c still has nothing

    await createReplicator({ source: peer(a), target: c, batchSize: 3 }).syncOnce();
    await a.incrBy('hits', 1);
    // b and c have applied the first five; the sixth stays, and the fifth (at the cursors) too.
    expect(await trimLog(a, [peer(b), peer(c)])).toBe(4);
    await createReplicator({ source: peer(a), target: b }).syncOnce();
    await createReplicator({ source: peer(a), target: c }).syncOnce();
    expect([await b.counter('hits'), await c.counter('hits')]).toEqual([6, 6]);
  });

  it('stops at an entry it cannot read rather than skip it', async () => {
    const [a, b] = env.regions(2) as [Region, Region];
    await a.redis.sendCommand(['XADD', a.keys.log, '*', 't', 'teleport', 'k', 'x']);
    await a.incrBy('hits', 1);
    const replicator = createReplicator({ source: { region: a.id, redis: a.redis }, target: b });
    await expect(replicator.syncOnce()).rejects.toThrow(/unknown operation type "teleport"/);
    expect(await b.redis.get(b.keys.cursor('r0'))).toBeNull();
    expect(await b.counter('hits')).toBe(0);
  });
});
