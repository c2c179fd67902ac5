import type { RedisClient } from 'tributary';
import { createLeaderboard, type IncrementOptions, type LeaderboardOptions, type RankedEntry } from 'tributary/leaderboard';
import { LEADERBOARDS, type LeaderboardName } from '../domain/leaderboards.ts';
import { HANDLED_TTL_SECONDS, monitoringKeys } from './keys.ts';

type Registry = NonNullable<LeaderboardOptions['registry']>;

/** What this service does with a board: the kit's leaderboard, or one kept Active/Active (store/active-active.ts). */
export interface RankedBoard {
  increment(member: string, by: number, options: IncrementOptions): Promise<unknown>;
  incrementMany(increments: ReadonlyArray<{ member: string; by: number }>, options: IncrementOptions): Promise<unknown>;
  /** Highest score first, equal scores by member ascending; rank 1-based. */
  top(limit: number): Promise<RankedEntry[]>;
  rankOf(member: string): Promise<RankedEntry | null>;
}

export type OrderLeaderboards = Readonly<Record<LeaderboardName, RankedBoard>>;

/**
 * The kit leaderboards, under this service's key prefix. Operation ids (event
 * ids) are remembered as long as the failure counters remember theirs: the
 * service's handled-marker retention (HANDLED_MARKER_RETENTION_MS), so an
 * operator who shortens it bounds these sets too.
 */
export function createOrderLeaderboards(redis: RedisClient, options: { handledTtlSeconds?: number | undefined; registry?: Registry } = {}): OrderLeaderboards {
  const { handledTtlSeconds = HANDLED_TTL_SECONDS, registry } = options;
  const boards = LEADERBOARDS.map((board) => [
    board,
    createLeaderboard({
      redis,
      prefix: monitoringKeys.leaderboards(),
      board,
      dedupWindowMs: handledTtlSeconds * 1000,
      ...(registry ? { registry } : {}),
    }),
  ]);
  return Object.fromEntries(boards) as Record<LeaderboardName, RankedBoard>;
}
