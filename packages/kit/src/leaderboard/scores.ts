import { TributaryError } from '../errors.ts';
import { replyNumber, replyPairs } from '../redis/replies.ts';

/**
 * Scores are stored negated. Redis orders equal scores by member, ascending,
 * and `ZREVRANGE` reverses that too (ties would come out "z" before "a").
 * With negated scores a plain ascending `ZRANGE` lists the highest score first
 * and ties by member ascending, and `ZRANK` is exactly the position in that
 * list: top-N, rank-of and the window around a member agree without any
 * tie-breaking code.
 */

/** The stored form of a score or an increment, as a string (exact for any double). */
export function encodeScore(score: number): string {
  return String(0 - score);
}

/** Reads a stored (negated) score back; `0 - x` also turns a stored -0 into 0. */
export function decodeScore(raw: unknown): number {
  const value = replyNumber(raw);
  if (Number.isNaN(value)) throw new TributaryError('TRIB_UNEXPECTED_REPLY', `leaderboard: unreadable score ${JSON.stringify(raw)}`);
  return 0 - value;
}

export interface RankedEntry {
  member: string;
  score: number;
  /** 1-based position: highest score first, ties by member ascending (byte order). */
  rank: number;
}

/** Turns a flat `[member, score, member, score, ...]` reply into entries ranked from `firstRank`. */
export function rankEntries(flat: unknown, firstRank: number): RankedEntry[] {
  return replyPairs(flat).map(([member, score], index) => ({ member, score: decodeScore(score), rank: firstRank + index }));
}
