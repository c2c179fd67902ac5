import type { Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { periodicJob } from '../telemetry/periodic.ts';
import { compareIds, groupsOf, nextId, oldestPending } from './commands.ts';

/**
 * The id below which every group is done with a stream: for each group the
 * older of its oldest pending entry and the first entry it has not been
 * delivered yet; the minimum over groups. Null when the stream has no group
 * (nobody has said what they still need, so nothing is safe to trim).
 */
export async function safeTrimPoint(redis: RedisClient, stream: string): Promise<string | null> {
  const groups = await groupsOf(redis, stream);
  if (groups.length === 0) return null;
  let floor: string | null = null;
  for (const group of groups) {
    let keep = nextId(group.lastDeliveredId);
    if (group.pending > 0) {
      const pending = await oldestPending(redis, stream, group.name);
      if (pending && compareIds(pending, keep) < 0) keep = pending;
    }
    if (floor === null || compareIds(keep, floor) < 0) floor = keep;
  }
  return floor;
}

/**
 * Trims with MINID at the safe point, never with MAXLEN: a MAXLEN on publish
 * deletes entries a slow group has not read yet. With `minAgeMs`, entries
 * younger than that stay even when every group is done with them (ids are
 * milliseconds, so the age is the id's own time). A stream no group reads
 * is kept whole unless `ungroupedMinAgeMs` is given: then its entries older
 * than that go (a stream nobody subscribes to, such as one read only by
 * live views, would otherwise grow for ever). Returns how many were removed.
 */
export async function trimStream(redis: RedisClient, stream: string, options: { minAgeMs?: number; ungroupedMinAgeMs?: number } = {}): Promise<number> {
  let minId = await safeTrimPoint(redis, stream);
  if (minId === null) {
    if (options.ungroupedMinAgeMs === undefined || (await groupsOf(redis, stream)).length > 0) return 0;
    return Number(await redis.sendCommand(['XTRIM', stream, 'MINID', `${Math.max(0, Date.now() - options.ungroupedMinAgeMs)}-0`]));
  }
  if (options.minAgeMs !== undefined && options.minAgeMs > 0) {
    const youngest = `${Math.max(0, Date.now() - options.minAgeMs)}-0`;
    if (compareIds(youngest, minId) < 0) minId = youngest;
  }
  return Number(await redis.sendCommand(['XTRIM', stream, 'MINID', minId]));
}

/** Runs `trimStream` over some streams every `intervalMs` until closed. */
export function startTrimmer(options: {
  redis: RedisClient;
  streams: string[];
  intervalMs?: number;
  /** Keep entries younger than this even when consumed (see trimStream). */
  minAgeMs?: number;
  /** Trim a stream no group reads to this age (see trimStream); kept whole without it. */
  ungroupedMinAgeMs?: number;
  onError?: (error: Error) => void;
  /** Run time and entries removed, `job="stream-trim"`; default: prom-client's global registry. */
  registry?: Registry;
}): { close(): void } {
  const meter = periodicJob('stream-trim', options.registry ? { registry: options.registry } : {});
  // A run costs a few commands per stream (XINFO GROUPS, the oldest pending entry, XTRIM MINID), whatever the streams hold.
  const timer = setInterval(() => {
    meter.run(async (run) => {
      for (const stream of options.streams) {
        try {
          run.items(await trimStream(options.redis, stream, {
            ...(options.minAgeMs === undefined ? {} : { minAgeMs: options.minAgeMs }),
            ...(options.ungroupedMinAgeMs === undefined ? {} : { ungroupedMinAgeMs: options.ungroupedMinAgeMs }),
          }));
        } catch (error) {
          options.onError?.(error as Error);
        }
      }
    }).catch((error: Error) => options.onError?.(error));
  }, options.intervalMs ?? 10_000);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
