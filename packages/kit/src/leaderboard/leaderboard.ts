import { fileURLToPath } from 'node:url';
import { Counter, type Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { checkDay, dayExpiresAt, dayOf, type Instant } from './days.ts';
import { leaderboardKeys } from './keys.ts';
import { decodeScore, encodeScore, rankEntries, type RankedEntry } from './scores.ts';

const script = (name: string) => loadLuaScript(fileURLToPath(new URL(`./lua/${name}`, import.meta.url)));
const incrementScript = script('increment-3.lua');
const aroundScript = script('around-1.lua');

export interface LeaderboardOptions {
  redis: RedisClient;
  /** The caller's namespace, e.g. `order-monitoring:leaderboard`; never a global key. */
  prefix: string;
  /** The board, e.g. `best-sellers`; also the keys' hash tag. */
  board: string;
  /**
   * How long an operation id is remembered. A redelivery within this window
   * is recognised; one later than it counts again. Memory grows with
   * (operations per window), not forever.
   */
  dedupWindowMs?: number;
  /** Also keep one board per UTC day, kept `retainDays` after the day ends. */
  daily?: { retainDays: number };
  /** Counts applied and duplicate operations. */
  registry?: Registry;
}

export const leaderboardDefaults = {
  dedupWindowMs: 7 * 24 * 60 * 60 * 1000,
};

export interface IncrementOptions {
  /** Identifies the operation (an event id): the same id is applied once. */
  operationId: string;
  /** When it happened, for the day bucket (default now); pass the event's time so a redelivery picks the same day. */
  at?: Instant;
}

export interface QueryOptions {
  /** A day board (`YYYY-MM-DD`, UTC) instead of the all-time board; needs the `daily` option. */
  day?: string;
}

export type IncrementResult = 'applied' | 'duplicate';

export interface Leaderboard {
  readonly board: string;
  /** Adds `by` to a member's score unless this operation was applied already. */
  increment(member: string, by: number, options: IncrementOptions): Promise<IncrementResult>;
  /** Several members under one operation id, all or nothing. */
  incrementMany(increments: ReadonlyArray<{ member: string; by: number }>, options: IncrementOptions): Promise<IncrementResult>;
  /** Overwrites a member's all-time score (naturally idempotent, no operation id). */
  setScore(member: string, score: number): Promise<void>;
  /** Removes a member from the all-time board; true when it was there. */
  remove(member: string): Promise<boolean>;
  /** The first `limit` entries: highest score first, ties by member ascending. */
  top(limit: number, options?: QueryOptions): Promise<RankedEntry[]>;
  /** A member's 1-based rank and score, or null when it has none. */
  rankOf(member: string, options?: QueryOptions): Promise<RankedEntry | null>;
  /** The member and up to `radius` neighbours on each side, or null when it has no score. */
  around(member: string, radius: number, options?: QueryOptions): Promise<RankedEntry[] | null>;
  /** How many members have a score. */
  size(options?: QueryOptions): Promise<number>;
}

function checkMember(member: string): void {
  if (typeof member !== 'string' || member === '') throw new TypeError('leaderboard: a member must be a non-empty string');
}

function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`leaderboard: ${what} must be a finite number, got ${String(value)}`);
}

function checkCount(value: number, what: string, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) throw new RangeError(`leaderboard: ${what} must be an integer >= ${minimum}`);
}

function operationsCounter(registry: Registry): Counter<string> {
  const name = 'tributary_leaderboard_operations_total';
  return (
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help: 'Leaderboard increments by board and result (applied or duplicate)', labelNames: ['board', 'result'], registers: [registry] })
  );
}

/**
 * A ranking on one Redis sorted set. Increments are idempotent per operation
 * id (an event id): the script records the id together with the increment, so
 * a redelivered event never counts twice.
 */
export function createLeaderboard(options: LeaderboardOptions): Leaderboard {
  const { redis, board } = options;
  if (!options.prefix || !board) throw new TypeError('leaderboard: prefix and board are required');
  const dedupWindowMs = options.dedupWindowMs ?? leaderboardDefaults.dedupWindowMs;
  checkCount(dedupWindowMs, 'dedupWindowMs', 1);
  if (options.daily) checkCount(options.daily.retainDays, 'daily.retainDays', 0);
  const keys = leaderboardKeys(options.prefix, board);
  const counter = options.registry ? operationsCounter(options.registry) : null;

  const scoresKey = (query: QueryOptions = {}): string => {
    if (query.day === undefined) return keys.scores;
    if (!options.daily) throw new RangeError(`leaderboard ${board} keeps no day boards (no daily option)`);
    return keys.day(checkDay(query.day));
  };

  const incrementMany: Leaderboard['incrementMany'] = async (increments, { operationId, at }) => {
    if (typeof operationId !== 'string' || operationId === '') throw new TypeError('leaderboard: operationId is required');
    if (increments.length === 0) throw new RangeError('leaderboard: nothing to increment');
    for (const { member, by } of increments) {
      checkMember(member);
      checkFinite(by, 'an increment');
    }
    // Without the daily option the day key is passed (every key a script may touch is declared) but left alone.
    const day = dayOf(at ?? Date.now());
    const reply = await runLuaScript<number>(
      redis,
      incrementScript,
      [keys.scores, keys.operations, keys.day(day)],
      [
        operationId,
        dedupWindowMs,
        options.daily ? dayExpiresAt(day, options.daily.retainDays) : 0,
        ...increments.flatMap(({ member, by }) => [member, encodeScore(by)]),
      ],
    );
    const result: IncrementResult = Number(reply) === 1 ? 'applied' : 'duplicate';
    counter?.inc({ board, result });
    return result;
  };

  return {
    board,
    incrementMany,
    increment: (member, by, incrementOptions) => incrementMany([{ member, by }], incrementOptions),

    async setScore(member, score) {
      checkMember(member);
      checkFinite(score, 'a score');
      await redis.sendCommand(['ZADD', keys.scores, encodeScore(score), member]);
    },

    async remove(member) {
      checkMember(member);
      return Number(await redis.sendCommand(['ZREM', keys.scores, member])) === 1;
    },

    async top(limit, query) {
      checkCount(limit, 'limit', 1);
      return rankEntries(await redis.sendCommand(['ZRANGE', scoresKey(query), '0', String(limit - 1), 'WITHSCORES']), 1);
    },

    async rankOf(member, query) {
      checkMember(member);
      const key = scoresKey(query);
      // One MULTI: the rank and the score belong to the same moment.
      const [rank, score] = (await redis.multi().addCommand(['ZRANK', key, member]).addCommand(['ZSCORE', key, member]).exec()) as unknown as [
        number | null,
        string | null,
      ];
      if (rank === null || score === null) return null;
      return { member, score: decodeScore(score), rank: Number(rank) + 1 };
    },

    async around(member, radius, query) {
      checkMember(member);
      checkCount(radius, 'radius', 0);
      const reply = await runLuaScript<unknown[] | null>(redis, aroundScript, [scoresKey(query)], [member, radius]);
      if (!Array.isArray(reply)) return null;
      const [start, ...flat] = reply;
      return rankEntries(flat, Number(start) + 1);
    },

    async size(query) {
      return Number(await redis.sendCommand(['ZCARD', scoresKey(query)]));
    },
  };
}
