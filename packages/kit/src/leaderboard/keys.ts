/**
 * Every key of one leaderboard. The board's name is the hash tag, so its
 * scores, its operation log and its day buckets live in one Cluster slot and
 * one script may touch them together.
 */
export function leaderboardKeys(prefix: string, board: string) {
  const base = `${prefix}:{${board}}`;
  return {
    /** Sorted set: member -> negated score (see scores.ts). */
    scores: `${base}:scores`,
    /** Sorted set: operation id -> server time (ms) it was applied; trimmed to the dedup window. */
    operations: `${base}:ops`,
    /** Sorted set like `scores`, for one UTC day, with an expiry. */
    day: (day: string): string => `${base}:day:${day}`,
  };
}

export type LeaderboardKeys = ReturnType<typeof leaderboardKeys>;
