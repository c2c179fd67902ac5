import { fileURLToPath } from 'node:url';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import '../formats.ts';
import { Counter, type Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { isSessionId, newSessionId } from './id.ts';
import { TributaryError } from '../errors.ts';

const createScript = loadLuaScript(fileURLToPath(new URL('./lua/createSession-1.lua', import.meta.url)));
const slideScript = loadLuaScript(fileURLToPath(new URL('./lua/slideSession-1.lua', import.meta.url)));

export interface Session<Data> {
  readonly id: string;
  readonly data: Data;
  readonly createdAt: Date;
}

export interface SessionStore<Data> {
  /** Idle lifetime: a session unused this long is gone. */
  readonly ttlSeconds: number;
  create(data: Data): Promise<Session<Data>>;
  /** The live session, its expiry slid forward; null when unknown, expired or no longer valid. */
  get(id: string): Promise<Session<Data> | null>;
  /** Slides the expiry without reading the data; false when there is no live session. */
  touch(id: string): Promise<boolean>;
  /** Replaces the data of a live session (and slides it); false when there is none. */
  update(id: string, data: Data): Promise<boolean>;
  /** False when there was nothing to destroy. */
  destroy(id: string): Promise<boolean>;
}

export interface SessionStoreOptions<Schema extends TSchema> {
  redis: RedisClient;
  /** Namespace of the session keys, e.g. `gateway:session`. */
  prefix: string;
  /** What a session holds; checked on every write and every read. */
  schema: Schema;
  /** Idle lifetime, slid forward on each use (default 30 min). */
  ttlSeconds?: number;
  /** Hard limit from creation, whatever the use (default none). */
  absoluteTtlSeconds?: number;
  registry?: Registry;
}

export const sessionDefaults = { ttlSeconds: 30 * 60, absoluteTtlSeconds: 0 } as const;

export class InvalidSessionDataError extends Error {
  constructor(detail: string) {
    super(`session data does not match its schema: ${detail}`);
    this.name = 'InvalidSessionDataError';
  }
}

/**
 * Sessions in Redis hashes, one per session (`<prefix>:<id>`: data as JSON,
 * createdAt, touchedAt), expiring after `ttlSeconds` without use.
 */
export function createSessionStore<Schema extends TSchema>(options: SessionStoreOptions<Schema>): SessionStore<Static<Schema>> {
  type Data = Static<Schema>;
  const { redis, prefix } = options;
  if (!prefix) throw new TributaryError('TRIB_INVALID_CONFIG', 'session store: a key prefix is required');
  const ttlSeconds = options.ttlSeconds ?? sessionDefaults.ttlSeconds;
  const absoluteTtlSeconds = options.absoluteTtlSeconds ?? sessionDefaults.absoluteTtlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`session ttlSeconds must be an integer >= 1, got ${ttlSeconds}`);
  if (!Number.isInteger(absoluteTtlSeconds) || absoluteTtlSeconds < 0) {
    throw new RangeError(`session absoluteTtlSeconds must be an integer >= 0, got ${absoluteTtlSeconds}`);
  }
  const idleMs = ttlSeconds * 1000;
  const absoluteMs = absoluteTtlSeconds * 1000;
  const compiled = TypeCompiler.Compile(options.schema);
  const key = (id: string) => `${prefix}:${id}`;
  const outcomes = sessionCounter(options.registry);

  const encode = (data: Data): string => {
    if (!compiled.Check(data)) {
      const first = compiled.Errors(data).First();
      throw new InvalidSessionDataError(first ? `${first.path || '/'}: ${first.message}` : 'invalid');
    }
    return JSON.stringify(data);
  };
  const slide = (id: string, mode: 'read' | 'touch' | 'write', data = '') =>
    runLuaScript<[string, string] | 1 | null>(redis, slideScript, [key(id)], [mode, idleMs, absoluteMs, ...(mode === 'write' ? [data] : [])]);

  return {
    ttlSeconds,
    async create(data) {
      const json = encode(data);
      // A collision of 256-bit random ids does not happen; the loop only keeps the script's NX honest.
      for (;;) {
        const id = newSessionId();
        const createdAt = Number(await runLuaScript(redis, createScript, [key(id)], [json, idleMs]));
        if (createdAt > 0) {
          outcomes?.('created');
          return { id, data, createdAt: new Date(createdAt) };
        }
      }
    },
    async get(id) {
      if (!isSessionId(id)) return null;
      const reply = await slide(id, 'read');
      if (!Array.isArray(reply)) {
        outcomes?.('missing');
        return null;
      }
      const [json, createdAt] = reply;
      let data: unknown;
      try {
        data = JSON.parse(json);
      } catch {
        data = undefined;
      }
      // Written by an older version with another schema, or by hand: treat as
      // no session (the user signs in again) rather than fail every request.
      if (!compiled.Check(data)) {
        outcomes?.('invalid');
        await redis.del(key(id));
        return null;
      }
      outcomes?.('found');
      return { id, data, createdAt: new Date(Number(createdAt)) };
    },
    async touch(id) {
      return isSessionId(id) && (await slide(id, 'touch')) === 1;
    },
    async update(id, data) {
      const json = encode(data);
      return isSessionId(id) && (await slide(id, 'write', json)) === 1;
    },
    async destroy(id) {
      if (!isSessionId(id)) return false;
      const removed = (await redis.del(key(id))) === 1;
      if (removed) outcomes?.('destroyed');
      return removed;
    },
  };
}

function sessionCounter(registry: Registry | undefined): ((outcome: string) => void) | undefined {
  if (!registry) return undefined;
  const name = 'tributary_sessions_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help: 'Session store operations by outcome', labelNames: ['outcome'], registers: [registry] });
  return (outcome) => counter.inc({ outcome });
}
