import type { RedisClient } from 'tributary';
import { createLeaderboard, type Leaderboard, type LeaderboardOptions } from 'tributary/leaderboard';
import { LEADERBOARDS, type LeaderboardName } from '../domain/leaderboards.ts';
import { HANDLED_TTL_SECONDS, monitoringKeys } from './keys.ts';

type Registry = NonNullable<LeaderboardOptions['registry']>;

export type OrderLeaderboards = Readonly<Record<LeaderboardName, Leaderboard>>;

/**
 * The kit leaderboards, under this service's key prefix. Operation ids (event
 * ids) are remembered as long as the failure counters remember theirs.
 */
export function createOrderLeaderboards(redis: RedisClient, registry?: Registry): OrderLeaderboards {
  const boards = LEADERBOARDS.map((board) => [
    board,
    createLeaderboard({
      redis,
      prefix: monitoringKeys.leaderboards(),
      board,
      dedupWindowMs: HANDLED_TTL_SECONDS * 1000,
      ...(registry ? { registry } : {}),
    }),
  ]);
  return Object.fromEntries(boards) as Record<LeaderboardName, Leaderboard>;
}
