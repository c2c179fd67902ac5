export {
  createLeaderboard,
  leaderboardDefaults,
  type Leaderboard,
  type LeaderboardOptions,
  type IncrementOptions,
  type IncrementResult,
  type QueryOptions,
} from './leaderboard.ts';
export { type RankedEntry } from './scores.ts';
export { dayOf, type Instant } from './days.ts';
export { leaderboardKeys } from './keys.ts';
