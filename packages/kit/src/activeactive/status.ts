import type { RedisClient } from '../redis/client.ts';
import type { Region } from './region.ts';

export interface ReplicationStatus {
  source: string;
  target: string;
  /** Last entry of the source's log applied by the target, '0-0' when none. */
  cursor: string;
  /** Entries the target has yet to apply, counted up to `countLimit` (then `countLimit`, meaning "at least"). */
  pending: number;
  /** Age of the oldest entry not applied yet (now minus its entry time), 0 when caught up. */
  oldestPendingMs: number;
}

/**
 * How far `target` is behind `source`, for a dashboard or an alert. Reads the
 * target's cursor and the source's log after it; both regions must answer.
 */
export async function replicationStatus(
  source: { region: string; redis: RedisClient },
  target: Region,
  options: { countLimit?: number; now?: number } = {},
): Promise<ReplicationStatus> {
  const countLimit = options.countLimit ?? 1_000;
  const cursor = (await target.redis.get(target.keys.cursor(source.region))) ?? '0-0';
  const after = await source.redis.sendCommand<Array<[string, string[]]>>(['XRANGE', target.keys.log, `(${cursor}`, '+', 'COUNT', String(countLimit)]);
  const oldest = after[0]?.[0];
  return {
    source: source.region,
    target: target.id,
    cursor,
    pending: after.length,
    oldestPendingMs: oldest === undefined ? 0 : Math.max(0, (options.now ?? Date.now()) - Number(oldest.split('-')[0])),
  };
}
