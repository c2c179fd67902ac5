import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { waitFor } from '../testing/index.ts';
import { createLeaderboard, type LeaderboardOptions } from './leaderboard.ts';
import { leaderboardKeys } from './keys.ts';
import { useRedis } from '../testing/vitest.ts';

const env = useRedis();

const PREFIX = 'test:leaderboard';
const board = (options: Partial<LeaderboardOptions> = {}) => createLeaderboard({ redis: env.redis, prefix: PREFIX, board: randomUUID(), ...options });
const op = () => ({ operationId: randomUUID() });

describe('increments and rankings', () => {
  it('adds up scores and ranks highest first, 1-based', async () => {
    const scores = board();
    await scores.increment('ann', 5, op());
    await scores.increment('bob', 7, op());
    await scores.increment('ann', 4, op());
    await scores.incrementMany([{ member: 'cyd', by: 1 }, { member: 'bob', by: 0.5 }], op());

    expect(await scores.top(10)).toEqual([
      { member: 'ann', score: 9, rank: 1 },
      { member: 'bob', score: 7.5, rank: 2 },
      { member: 'cyd', score: 1, rank: 3 },
    ]);
    expect(await scores.top(2)).toHaveLength(2);
    expect(await scores.rankOf('bob')).toEqual({ member: 'bob', score: 7.5, rank: 2 });
    expect(await scores.size()).toBe(3);
  });

  it('orders ties by member ascending, the same way in top, rankOf and around', async () => {
    const scores = board();
    for (const member of ['delta', 'alpha', 'charlie', 'bravo']) await scores.increment(member, 10, op());
    await scores.increment('zulu', 11, op());
    await scores.increment('echo', 3, op());

    const top = await scores.top(10);
    expect(top.map((entry) => [entry.member, entry.rank])).toEqual([
      ['zulu', 1], ['alpha', 2], ['bravo', 3], ['charlie', 4], ['delta', 5], ['echo', 6],
    ]);
    for (const entry of top) expect(await scores.rankOf(entry.member)).toEqual(entry);
    expect(await scores.around('charlie', 1)).toEqual(top.slice(2, 5));
    // At the edges the window is cut, not shifted.
    expect(await scores.around('zulu', 2)).toEqual(top.slice(0, 3));
    expect(await scores.around('echo', 1)).toEqual(top.slice(4, 6));
  });

  it('an unknown member has no rank and no window; an empty board has no top', async () => {
    const scores = board();
    expect(await scores.top(5)).toEqual([]);
    expect(await scores.rankOf('nobody')).toBeNull();
    expect(await scores.around('nobody', 3)).toBeNull();
    await scores.increment('somebody', 1, op());
    expect(await scores.rankOf('nobody')).toBeNull();
    expect(await scores.around('nobody', 3)).toBeNull();
  });

  it('setScore overwrites, remove removes, a zero score is 0 and not -0', async () => {
    const scores = board();
    await scores.increment('ann', 5, op());
    await scores.setScore('ann', 2);
    await scores.setScore('bob', 0);
    expect(await scores.top(5)).toEqual([{ member: 'ann', score: 2, rank: 1 }, { member: 'bob', score: 0, rank: 2 }]);
    expect((await scores.rankOf('bob'))?.score).toBe(0);
    expect(await scores.remove('ann')).toBe(true);
    expect(await scores.remove('ann')).toBe(false);
    expect(await scores.rankOf('bob')).toEqual({ member: 'bob', score: 0, rank: 1 });
  });

  it('keeps integers exact far beyond what Lua would print (no %.14g rounding)', async () => {
    const scores = board();
    const big = 2 ** 52 + 1;
    await scores.increment('whale', big, op());
    expect((await scores.rankOf('whale'))?.score).toBe(big);
  });

  it('rejects bad arguments before writing anything', async () => {
    const scores = board();
    await expect(scores.increment('ann', Number.NaN, op())).rejects.toThrow(/finite/);
    await expect(scores.increment('ann', Infinity, op())).rejects.toThrow(/finite/);
    await expect(scores.increment('', 1, op())).rejects.toThrow(/member/);
    await expect(scores.increment('ann', 1, { operationId: '' })).rejects.toThrow(/operationId/);
    await expect(scores.incrementMany([], op())).rejects.toThrow(/nothing/);
    await expect(scores.top(0)).rejects.toThrow(/limit/);
    await expect(scores.top(5, { day: '2026-01-01' })).rejects.toThrow(/no day boards/);
    expect(await scores.size()).toBe(0);
  });

  it('the script itself refuses a bad increment before any write (a half-applied operation is impossible)', async () => {
    const keys = leaderboardKeys(PREFIX, randomUUID());
    const script = loadLuaScript(fileURLToPath(new URL('./lua/increment-3.lua', import.meta.url)));
    const call = runLuaScript(env.redis, script, [keys.scores, keys.operations, keys.day('2026-01-01')], ['op-1', 60_000, 0, 'ann', '-1', 'bob', 'lots']);
    await expect(call).rejects.toThrow(/BAD_ARGUMENTS/);
    expect(await env.redis.exists([keys.scores, keys.operations])).toBe(0);
  });
});

describe('idempotency by operation id', () => {
  it('a redelivered operation is counted once, and says so', async () => {
    const scores = board();
    const operation = op();
    expect(await scores.incrementMany([{ member: 'ann', by: 3 }, { member: 'bob', by: 2 }], operation)).toBe('applied');
    expect(await scores.incrementMany([{ member: 'ann', by: 3 }, { member: 'bob', by: 2 }], operation)).toBe('duplicate');
    expect(await scores.increment('ann', 3, operation)).toBe('duplicate');
    expect(await scores.top(5)).toEqual([{ member: 'ann', score: 3, rank: 1 }, { member: 'bob', score: 2, rank: 2 }]);
  });

  it('twenty concurrent deliveries of one operation apply it exactly once', async () => {
    const scores = board();
    const operation = op();
    const results = await Promise.all(Array.from({ length: 20 }, () => scores.increment('ann', 1, operation)));
    expect(results.filter((result) => result === 'applied')).toHaveLength(1);
    expect(await scores.rankOf('ann')).toEqual({ member: 'ann', score: 1, rank: 1 });
  });

  it('operation ids are one board each: the same id may count once on every board', async () => {
    const spenders = board();
    const sellers = board();
    const operation = op();
    expect(await spenders.increment('user', 100, operation)).toBe('applied');
    expect(await sellers.increment('product', 2, operation)).toBe('applied');
  });

  it('the operation log stays bounded: ids older than the window are trimmed and the log expires', async () => {
    const dedupWindowMs = 200;
    const scores = board({ dedupWindowMs });
    const keys = leaderboardKeys(PREFIX, scores.board);
    await scores.increment('ann', 1, { operationId: 'old' });
    // Every later operation trims what fell out of the window.
    await waitFor(async () => {
      await scores.increment('bob', 1, op());
      return (await env.redis.zScore(keys.operations, 'old')) === null;
    }, { description: 'the old operation id trimmed' });
    expect(await env.redis.zCard(keys.operations)).toBeLessThan(1_000);
    const ttl = await env.redis.pTTL(keys.operations);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(dedupWindowMs);
    // The documented trade-off: past the window, the same id counts again.
    expect(await scores.increment('ann', 1, { operationId: 'old' })).toBe('applied');
    expect((await scores.rankOf('ann'))?.score).toBe(2);
  });
});

describe('day boards', () => {
  it('counts into the day of `at` and the all-time board, each day expiring after its retention', async () => {
    const scores = board({ daily: { retainDays: 3 } });
    const keys = leaderboardKeys(PREFIX, scores.board);
    const today = new Date();
    const yesterday = new Date(today.getTime() - 24 * 60 * 60 * 1000);
    const day = (at: Date) => at.toISOString().slice(0, 10);
    await scores.increment('ann', 5, { ...op(), at: yesterday });
    await scores.increment('bob', 2, { ...op(), at: today });
    await scores.increment('ann', 1, { ...op(), at: today.toISOString() });

    expect(await scores.top(5)).toEqual([{ member: 'ann', score: 6, rank: 1 }, { member: 'bob', score: 2, rank: 2 }]);
    expect(await scores.top(5, { day: day(yesterday) })).toEqual([{ member: 'ann', score: 5, rank: 1 }]);
    expect(await scores.top(5, { day: day(today) })).toEqual([{ member: 'bob', score: 2, rank: 1 }, { member: 'ann', score: 1, rank: 2 }]);
    expect(await scores.rankOf('ann', { day: day(today) })).toEqual({ member: 'ann', score: 1, rank: 2 });

    const expiresAt = await env.redis.sendCommand<number>(['PEXPIRETIME', keys.day(day(today))]);
    expect(expiresAt).toBe(Date.parse(`${day(today)}T00:00:00Z`) + 4 * 24 * 60 * 60 * 1000);
    expect(await env.redis.pTTL(keys.scores)).toBe(-1);
  });

  it('an operation dated past the retention counts all-time but never touches (or deletes) a day board', async () => {
    const scores = board({ daily: { retainDays: 1 } });
    const keys = leaderboardKeys(PREFIX, scores.board);
    const longAgo = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
    await scores.increment('ann', 4, { ...op(), at: longAgo });
    expect(await env.redis.exists(keys.day(longAgo.toISOString().slice(0, 10)))).toBe(0);
    expect((await scores.rankOf('ann'))?.score).toBe(4);
    await expect(scores.top(5, { day: 'yesterday' })).rejects.toThrow(/YYYY-MM-DD/);
  });
});

describe('metrics', () => {
  it('counts applied and duplicate operations per board', async () => {
    const registry = new Registry();
    const scores = board({ registry });
    const operation = op();
    await scores.increment('ann', 1, operation);
    await scores.increment('ann', 1, operation);
    const metric = await registry.getSingleMetricAsString('tributary_leaderboard_operations_total');
    expect(metric).toContain(`{board="${scores.board}",result="applied"} 1`);
    expect(metric).toContain(`{board="${scores.board}",result="duplicate"} 1`);
  });
});
