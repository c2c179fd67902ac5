import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../testing/wait-for.ts';
import { useRedis } from '../test-fixtures/harness.ts';
import { claimDueRetries, type ClaimTarget } from './claims.ts';
import { RetrySchedule } from './middleware/retry.ts';

const t = useRedis();

/** A stream with one entry, read by consumer `a` of group `g`: pending on `a`. */
async function pendingOnA(): Promise<{ target: ClaimTarget; entryId: string }> {
  const stream = `claims-${Math.random().toString(36).slice(2)}:events`;
  await t.redis.sendCommand(['XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM']);
  const entryId = await t.redis.sendCommand<string>(['XADD', stream, '*', 'n', '1']);
  await t.redis.sendCommand(['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '1', 'STREAMS', stream, '>']);
  return { target: { redis: t.redis, stream, group: 'g', consumer: 'a', batchSize: 10 }, entryId };
}

async function pendingOf(target: ClaimTarget, entryId: string): Promise<{ consumer: string; idleMs: number; deliveries: number }> {
  const [row] = await t.redis.sendCommand<Array<[string, string, number, number]>>(['XPENDING', target.stream, target.group, entryId, entryId, '1']);
  if (!row) throw new Error(`${entryId} is not pending`);
  return { consumer: row[1], idleMs: Number(row[2]), deliveries: Number(row[3]) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('claiming due retries', () => {
  it('does not take an entry idle for less than its backoff, even when the local clock says the retry is due', async () => {
    const { target, entryId } = await pendingOnA();
    const schedule = new RetrySchedule();
    schedule.add(entryId, 60_000);
    // Only this process's clock moves: Redis still sees the entry idle for a few milliseconds.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect(await claimDueRetries(target, schedule)).toEqual([]);
    expect(await pendingOf(target, entryId)).toMatchObject({ consumer: 'a', deliveries: 1 });
  });

  it('leaves an entry a live sibling took over with that sibling', async () => {
    const { target, entryId } = await pendingOnA();
    const schedule = new RetrySchedule();
    schedule.add(entryId, 0);
    await t.redis.sendCommand(['XCLAIM', target.stream, target.group, 'b', '0', entryId]);
    expect(await claimDueRetries(target, schedule)).toEqual([]);
    expect(await pendingOf(target, entryId)).toMatchObject({ consumer: 'b', deliveries: 2 });
  });

  it('takes its own entry back once it has been idle for its backoff, counting the redelivery', async () => {
    const { target, entryId } = await pendingOnA();
    await waitFor(async () => (await pendingOf(target, entryId)).idleMs >= 20, { description: 'the entry idle for its backoff' });
    const schedule = new RetrySchedule();
    schedule.add(entryId, 20);
    await waitFor(() => schedule.nextDueIn() === 0, { description: 'the retry due' });
    const claimed = await claimDueRetries(target, schedule);
    expect(claimed.map(([id]) => id)).toEqual([entryId]);
    expect(await pendingOf(target, entryId)).toMatchObject({ consumer: 'a', deliveries: 2 });
  });
});
