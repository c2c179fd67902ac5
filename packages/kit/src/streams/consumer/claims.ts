import type { RedisClient } from '../../redis/client.ts';
import { compareIds, pendingDeliveries, xautoclaim, xclaim, type RawEntry } from '../commands.ts';
import type { RetrySchedule } from './middleware/retry.ts';

export interface ClaimTarget {
  redis: RedisClient;
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
}

/**
 * Takes back this consumer's retries whose backoff is over, with XCLAIM so
 * Redis counts the redelivery. Only entries still pending on this consumer
 * and idle for at least their backoff: one that another instance took over
 * meanwhile (its idle time restarted) stays with that instance instead of
 * being handled twice.
 */
export async function claimDueRetries(target: ClaimTarget, schedule: RetrySchedule): Promise<RawEntry[]> {
  const due = schedule.takeDue();
  if (due.length === 0) return [];
  const ids = due.map((retry) => retry.entryId).sort(compareIds);
  const ours = await pendingDeliveries(target.redis, {
    ...target, from: ids[0] as string, to: ids[ids.length - 1] as string, count: schedule.size + ids.length + target.batchSize,
  });
  const stillOurs = ids.filter((id) => ours.has(id));
  if (stillOurs.length === 0) return [];
  const minIdleMs = Math.min(...due.map((retry) => retry.delayMs));
  return xclaim(target.redis, { ...target, ids: stillOurs, minIdleMs });
}

/**
 * Takes over entries idle on any consumer for `claimIdleMs` (a dead one's),
 * a batch at a time from `start`, handing each batch to `handle`. Bounded
 * per call so a huge backlog of dead entries cannot starve new ones; returns
 * where the next call goes on ('0-0' once the pending list was walked to its end).
 */
export async function claimIdleEntries(
  target: ClaimTarget,
  claimIdleMs: number,
  start: string,
  handle: (entries: RawEntry[]) => Promise<void>,
  stopping: () => boolean,
): Promise<string> {
  let cursor = start;
  for (let round = 0; round < 10 && !stopping(); round++) {
    const { next, entries } = await xautoclaim(target.redis, { ...target, minIdleMs: claimIdleMs, start: cursor, count: target.batchSize });
    if (entries.length > 0) await handle(entries);
    cursor = next;
    if (next === '0-0') break;
  }
  return cursor;
}

/** Delivery counts of entries read again (own pending, claimed), from XPENDING. */
export function deliveryCounts(target: ClaimTarget, entries: RawEntry[], extra: number): Promise<Map<string, number>> {
  return pendingDeliveries(target.redis, {
    ...target,
    from: (entries[0] as RawEntry)[0],
    to: (entries[entries.length - 1] as RawEntry)[0],
    count: entries.length + extra,
  });
}
