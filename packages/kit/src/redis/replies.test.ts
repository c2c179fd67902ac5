import { describe, expect, it } from 'vitest';
import {
  parseEntries,
  parseInfo,
  replyEntries,
  replyField,
  replyMap,
  replyMaps,
  replyNumber,
  replyPairs,
  replyRecord,
  replyScores,
  replyStreams,
} from './replies.ts';

// Replies as node-redis hands them over in RESP2: arrays, bulk strings, integers and nil.
describe('RESP2 reply parsing', () => {
  it('reads a flat name/value reply as pairs, a map and a record', () => {
    const xinfoConsumer = ['name', 'c1', 'pending', 2, 'idle', 15, 'inactive', -1];
    expect(replyPairs(xinfoConsumer)).toEqual([['name', 'c1'], ['pending', 2], ['idle', 15], ['inactive', -1]]);
    expect(replyMap(xinfoConsumer).get('pending')).toBe(2);
    expect(replyRecord(['orderId', 'o-1', 'items', '[]'])).toEqual({ orderId: 'o-1', items: '[]' });
  });

  it('keeps nested and nil values in a map (ACL LOG, XINFO STREAM)', () => {
    const reply = ['count', 1, 'reason', 'auth', 'first-entry', ['1-0', ['a', '1']], 'lag', null];
    const map = replyMap(reply);
    expect(map.get('first-entry')).toEqual(['1-0', ['a', '1']]);
    expect(map.has('lag')).toBe(true);
    expect(map.get('lag')).toBeNull();
  });

  it('reads a list of flat replies (XINFO GROUPS) as maps', () => {
    const groups = replyMaps([['name', 'g1', 'lag', 0], ['name', 'g2', 'lag', null]]);
    expect(groups.map((group) => group.get('name'))).toEqual(['g1', 'g2']);
    expect(replyMaps(null)).toEqual([]);
  });

  it('treats nil, a non-array and an odd trailing element as nothing more', () => {
    expect(replyPairs(null)).toEqual([]);
    expect(replyRecord(undefined)).toEqual({});
    expect(replyMap('OK').size).toBe(0);
    expect(replyRecord(['a', '1', 'dangling'])).toEqual({ a: '1' });
  });

  it('lets a later duplicate name win, as XADD does', () => {
    expect(replyRecord(['a', '1', 'a', '2'])).toEqual({ a: '2' });
  });

  it('finds one field without building the record', () => {
    const flat = ['type', 'OrderPlaced', 'data', '{}'];
    expect(replyField(flat, 'data')).toBe('{}');
    expect(replyField(flat, 'OrderPlaced')).toBeUndefined();
    expect(replyField(null, 'type')).toBeUndefined();
  });

  it('reads WITHSCORES replies, infinities included', () => {
    expect(replyScores(['alice', '3', 'bob', '1.5', 'carol', '-inf', 'dave', 'inf'])).toEqual([
      { member: 'alice', score: 3 },
      { member: 'bob', score: 1.5 },
      { member: 'carol', score: Number.NEGATIVE_INFINITY },
      { member: 'dave', score: Number.POSITIVE_INFINITY },
    ]);
  });

  it('reads numbers from integers and bulk strings, NaN from anything else', () => {
    expect(replyNumber(7)).toBe(7);
    expect(replyNumber('42')).toBe(42);
    expect(replyNumber('+inf')).toBe(Number.POSITIVE_INFINITY);
    expect(replyNumber(null)).toBeNaN();
    expect(replyNumber('')).toBeNaN();
    expect(replyNumber('abc')).toBeNaN();
  });

  it('reads stream entries raw and as records, a deleted entry with no fields', () => {
    const xrange = [['1-0', ['type', 'A', 'data', '{}']], ['2-0', null]];
    expect(replyEntries(xrange)).toBe(xrange);
    expect(replyEntries(null)).toEqual([]);
    expect(parseEntries(xrange)).toEqual([
      { id: '1-0', fields: { type: 'A', data: '{}' } },
      { id: '2-0', fields: {} },
    ]);
  });

  it('reads XREAD replies per stream, nil when the block timed out', () => {
    const xread = [['a', [['1-0', ['k', 'v']]]], ['b', []]];
    expect(replyStreams(xread)).toEqual([
      { stream: 'a', entries: [['1-0', ['k', 'v']]] },
      { stream: 'b', entries: [] },
    ]);
    expect(replyStreams(null)).toEqual([]);
  });

  it('reads INFO text as name/value lines across sections', () => {
    const info = '# Server\r\nredis_version:7.2.4\r\nprocess_id:123\r\n\r\n# Persistence\r\naof_rewrite_in_progress:0\r\nrdb_last_save_time:1700000000\r\n';
    expect(parseInfo(info)).toEqual({ redis_version: '7.2.4', process_id: '123', aof_rewrite_in_progress: '0', rdb_last_save_time: '1700000000' });
    expect(parseInfo(null)).toEqual({});
  });
});
