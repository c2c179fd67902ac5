import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import { runLuaScript } from '../redis/script.ts';
import { queueKeys, type QueueKeys } from './keys.ts';
import { queueScripts } from './scripts.ts';
import { sweepQueue } from './sweep.ts';

export interface QueueOptions<S extends TSchema> {
  /** Where the queue lives (a service's store Redis, not the bus). */
  redis: RedisClient;
  /** The caller's namespace, e.g. `mailing:mails` (keys become `mailing:{mails}:…`). */
  name: string;
  /** Every payload is validated against it when pushed and again when taken. */
  schema: S;
  /** How long a pushed id is remembered, so pushing it again is a no-op. */
  dedupWindowMs?: number;
  /** The dead list keeps this many newest records. */
  deadLimit?: number;
}

export const queueDefaults = {
  dedupWindowMs: 7 * 24 * 60 * 60 * 1000,
  deadLimit: 10_000,
};

export interface QueueCounts {
  pending: number;
  /** Items currently held by workers (live or dead ones the sweep has not visited yet). */
  processing: number;
  /** Failed items waiting for their retry delay. */
  delayed: number;
  dead: number;
  workers: number;
}

export interface DeadItem {
  id: string;
  /** The payload as it was stored (text: it may be the invalid one that got it buried). */
  payload: string;
  error: string;
  attempts: number;
  failedAt: string;
}

export type ParsedPayload<S extends TSchema> = { ok: true; value: Static<S> } | { ok: false; reason: string };

export interface Queue<S extends TSchema> {
  readonly name: string;
  readonly keys: QueueKeys;
  readonly redis: RedisClient;
  readonly deadLimit: number;
  /**
   * Adds an item unless its id was pushed within the dedup window (pass a
   * deterministic id, e.g. the causing event's, for idempotent producers).
   * Throws TRIB_INVALID_PAYLOAD when the payload does not match the schema.
   */
  push(payload: Static<S>, options?: { id?: string }): Promise<{ id: string; added: boolean }>;
  /** Parses stored payload text; never throws (a bad payload is a value to bury). */
  parse(raw: string): ParsedPayload<S>;
  counts(): Promise<QueueCounts>;
  /** Newest first. */
  listDead(options?: { count?: number }): Promise<DeadItem[]>;
  /** Puts dead items back on pending (all, or those with the given ids); returns how many. */
  replayDead(options?: { ids?: string[] }): Promise<number>;
  /** Returns items of workers whose heartbeat expired to pending; see `sweepQueue`. */
  sweep(): Promise<number>;
}

function parseDeadRecord(raw: string): DeadItem | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const record = value as Record<string, unknown>;
    if (typeof record.id !== 'string' || typeof record.payload !== 'string') return null;
    return {
      id: record.id,
      payload: record.payload,
      error: typeof record.error === 'string' ? record.error : '',
      attempts: typeof record.attempts === 'number' ? record.attempts : 0,
      failedAt: typeof record.failedAt === 'string' ? record.failedAt : '',
    };
  } catch {
    return null;
  }
}

export function createQueue<S extends TSchema>(options: QueueOptions<S>): Queue<S> {
  const { redis, name, schema } = options;
  const dedupWindowMs = options.dedupWindowMs ?? queueDefaults.dedupWindowMs;
  const deadLimit = options.deadLimit ?? queueDefaults.deadLimit;
  if (!(dedupWindowMs > 0) || !Number.isInteger(deadLimit) || deadLimit < 1) {
    throw new TributaryError('TRIB_INVALID_CONFIG', `queue ${name}: dedupWindowMs and deadLimit must be positive`);
  }
  const keys = queueKeys(name);
  const compiled = TypeCompiler.Compile(schema);
  const problemOf = (value: unknown): string | null => {
    if (compiled.Check(value)) return null;
    const first = compiled.Errors(value).First();
    return first ? `${first.path || '/'}: ${first.message}` : 'does not match the schema';
  };

  async function rawDead(count: number): Promise<Array<{ raw: string; item: DeadItem }>> {
    const reply = await redis.sendCommand<string[]>(['LRANGE', keys.dead, '0', String(count - 1)]);
    return reply.flatMap((raw) => {
      const item = parseDeadRecord(raw);
      return item ? [{ raw, item }] : [];
    });
  }

  return {
    name,
    keys,
    redis,
    deadLimit,
    async push(payload, pushOptions = {}) {
      const problem = problemOf(payload);
      if (problem) throw new TributaryError('TRIB_INVALID_PAYLOAD', `queue ${name}: ${problem}`);
      const id = pushOptions.id ?? randomUUID();
      const added = await runLuaScript<number>(redis, queueScripts.push, [keys.items, keys.seen, keys.pending], [
        id,
        JSON.stringify(payload),
        dedupWindowMs,
      ]);
      return { id, added: Number(added) === 1 };
    },
    parse(raw) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        return { ok: false, reason: `payload is not JSON: ${(error as Error).message}` };
      }
      const problem = problemOf(value);
      return problem ? { ok: false, reason: `invalid payload: ${problem}` } : { ok: true, value: value as Static<S> };
    },
    async counts() {
      const workers = await redis.sendCommand<string[]>(['SMEMBERS', keys.workers]);
      const [pending, delayed, dead, ...held] = await Promise.all([
        redis.sendCommand<number>(['LLEN', keys.pending]),
        redis.sendCommand<number>(['ZCARD', keys.delayed]),
        redis.sendCommand<number>(['LLEN', keys.dead]),
        ...workers.map((worker) => redis.sendCommand<number>(['LLEN', keys.processing(worker)])),
      ]);
      return {
        pending: Number(pending),
        delayed: Number(delayed),
        dead: Number(dead),
        processing: held.reduce((sum: number, count) => sum + Number(count), 0),
        workers: workers.length,
      };
    },
    async listDead(listOptions = {}) {
      return (await rawDead(listOptions.count ?? 100)).map(({ item }) => item);
    },
    async replayDead(replayOptions = {}) {
      const wanted = replayOptions.ids ? new Set(replayOptions.ids) : null;
      let replayed = 0;
      for (const { raw, item } of await rawDead(deadLimit)) {
        if (wanted && !wanted.has(item.id)) continue;
        const reply = await runLuaScript<number>(redis, queueScripts.replayDead, [keys.dead, keys.items, keys.attempts, keys.pending], [
          raw,
          item.id,
          item.payload,
        ]);
        replayed += Number(reply);
      }
      return replayed;
    },
    sweep: () => sweepQueue(redis, name),
  };
}
