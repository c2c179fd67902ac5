import { fileURLToPath } from 'node:url';
import { loadLuaScript, replyRecord, runLuaScript, type RedisClient } from 'tributary';
import { RECENT_FAILURES_LIMIT, parseRecentFailure, type RecentFailure } from '../domain/failures.ts';
import { HANDLED_TTL_SECONDS, monitoringKeys } from './keys.ts';

const recordFailureScript = loadLuaScript(fileURLToPath(new URL('./lua/recordFailure-3.lua', import.meta.url)));

export interface FailureStore {
  /** Counts a failure unless this event was counted already; true when counted now. */
  record(group: string, eventId: string, failure: RecentFailure): Promise<boolean>;
  /** Raw counts and the recent list, read in one MULTI so total and list agree. */
  read(): Promise<{ counts: Record<string, string>; recent: RecentFailure[] }>;
}

/**
 * Moves the recent list kept under its name from before Cluster support to
 * its new one, once, at start. Not RENAME: on a cluster the two names are in
 * different slots. A start that dies between the copy and the delete finds
 * the new list filled and only deletes the old one.
 */
export async function adoptLegacyRecentFailures(redis: RedisClient): Promise<number> {
  const legacy = monitoringKeys.legacyRecentFailures();
  const entries = await redis.sendCommand<string[]>(['LRANGE', legacy, '0', String(RECENT_FAILURES_LIMIT - 1)]);
  if (entries.length === 0) return 0;
  const moved = Number(await redis.sendCommand(['LLEN', monitoringKeys.recentFailures()])) === 0;
  if (moved) await redis.sendCommand(['RPUSH', monitoringKeys.recentFailures(), ...entries]);
  await redis.sendCommand(['DEL', legacy]);
  return moved ? entries.length : 0;
}

export function createFailureStore(redis: RedisClient, handledTtlSeconds = HANDLED_TTL_SECONDS): FailureStore {
  return {
    async record(group, eventId, failure) {
      const reply = await runLuaScript<number>(
        redis,
        recordFailureScript,
        [monitoringKeys.handled(group, eventId), monitoringKeys.failures(), monitoringKeys.recentFailures()],
        [failure.reason, JSON.stringify(failure), handledTtlSeconds, RECENT_FAILURES_LIMIT],
      );
      return Number(reply) === 1;
    },

    async read() {
      const [flatCounts, recent] = (await redis
        .multi()
        .addCommand(['HGETALL', monitoringKeys.failures()])
        .addCommand(['LRANGE', monitoringKeys.recentFailures(), '0', String(RECENT_FAILURES_LIMIT - 1)])
        .exec()) as unknown as [unknown, string[]];
      return { counts: replyRecord(flatCounts), recent: recent.map(parseRecentFailure).filter((entry): entry is RecentFailure => entry !== null) };
    },
  };
}
