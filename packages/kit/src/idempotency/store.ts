import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Counter, type Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { TributaryError } from '../errors.ts';

const lua = (name: string) => loadLuaScript(fileURLToPath(new URL(`./lua/${name}`, import.meta.url)));
const beginScript = lua('beginRequest-1.lua');
const completeScript = lua('completeRequest-1.lua');
const releaseScript = lua('releaseRequest-1.lua');

export interface RecordedResponse {
  status: number;
  contentType: string;
  body: string;
}

export type Claim =
  | { kind: 'acquired'; token: string }
  | { kind: 'replay'; response: RecordedResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-flight'; expiresInMs: number };

export type Outcome = Exclude<Claim, { kind: 'in-flight' }> | { kind: 'timeout' };

export interface IdempotencyStore {
  readonly options: Readonly<Required<Omit<IdempotencyStoreOptions, 'redis' | 'registry'>>>;
  /** One attempt to claim `key` within `scope` for the request with this fingerprint. */
  begin(scope: string, key: string, fingerprint: string): Promise<Claim>;
  /**
   * Claims the key, or waits while another holder has it in flight (polling
   * until it finishes, its marker expires, or `waitTimeoutMs` passes).
   */
  acquire(scope: string, key: string, fingerprint: string, options?: { waitTimeoutMs?: number; signal?: AbortSignal }): Promise<Outcome>;
  /** Records the holder's response for replay; false if the caller no longer holds the key. */
  complete(scope: string, key: string, token: string, response: RecordedResponse): Promise<boolean>;
  /** Frees the key without recording (a retry runs afresh); false if the caller no longer holds it. */
  release(scope: string, key: string, token: string): Promise<boolean>;
}

export interface IdempotencyStoreOptions {
  redis: RedisClient;
  /** Namespace of the records, e.g. `gateway:idempotency`. */
  prefix: string;
  /** How long a recorded response is replayed (default 24 h). */
  ttlMs?: number;
  /**
   * How long a claim lasts without an answer (default 30 s). Longer than the
   * slowest request, or a slow holder's duplicate runs beside it; short, so a
   * crashed holder does not block its key for long.
   */
  inFlightTtlMs?: number;
  /** How long a duplicate waits for the first request to finish (default 10 s), then 409. */
  waitTimeoutMs?: number;
  /** First pause between polls while waiting (doubles up to 250 ms; default 25 ms). */
  pollIntervalMs?: number;
  /** Larger responses are not recorded (default 1 MiB). */
  maxBodyBytes?: number;
  registry?: Registry;
}

export const idempotencyDefaults = {
  ttlMs: 24 * 60 * 60 * 1000,
  inFlightTtlMs: 30_000,
  waitTimeoutMs: 10_000,
  pollIntervalMs: 25,
  maxBodyBytes: 1_048_576,
} as const;

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Keys are client-chosen text: printable ASCII without spaces, 1 to 255 characters (UUIDs fit). */
export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && KEY.test(value);
}

export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { redis, prefix } = options;
  if (!prefix) throw new TributaryError('TRIB_INVALID_CONFIG', 'idempotency store: a key prefix is required');
  const settings = {
    prefix,
    ttlMs: options.ttlMs ?? idempotencyDefaults.ttlMs,
    inFlightTtlMs: options.inFlightTtlMs ?? idempotencyDefaults.inFlightTtlMs,
    waitTimeoutMs: options.waitTimeoutMs ?? idempotencyDefaults.waitTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? idempotencyDefaults.pollIntervalMs,
    maxBodyBytes: options.maxBodyBytes ?? idempotencyDefaults.maxBodyBytes,
  };
  for (const name of ['ttlMs', 'inFlightTtlMs', 'pollIntervalMs'] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] < 1) throw new RangeError(`idempotency ${name} must be an integer >= 1`);
  }
  if (!Number.isInteger(settings.waitTimeoutMs) || settings.waitTimeoutMs < 0) throw new RangeError('idempotency waitTimeoutMs must be an integer >= 0');
  const count = outcomeCounter(options.registry);

  const recordKey = (scope: string, key: string) => {
    if (!scope) throw new TributaryError('TRIB_BAD_ARGUMENTS', 'idempotency: an empty scope would let every client share keys');
    if (!isIdempotencyKey(key)) throw new RangeError('idempotency key must be 1-255 printable ASCII characters');
    return `${prefix}:${scope}:${key}`;
  };

  const store: IdempotencyStore = {
    options: settings,
    async begin(scope, key, fingerprint) {
      // randomUUID draws from a pool Node refills 128 ids at a time; randomBytes asked OpenSSL on every
      // POST, 2% of the gateway's CPU under load (docs/benchmarks.md).
      const token = randomUUID();
      const reply = await runLuaScript<unknown[]>(redis, beginScript, [recordKey(scope, key)], [fingerprint, token, settings.inFlightTtlMs]);
      const [kind, ...rest] = Array.isArray(reply) ? reply : [];
      if (kind === 'acquired') return { kind, token };
      if (kind === 'mismatch') return { kind };
      if (kind === 'in-flight') return { kind, expiresInMs: Number(rest[0]) };
      if (kind === 'done') {
        const [status, contentType, body] = rest;
        const code = Number(status);
        if (Number.isInteger(code) && typeof contentType === 'string' && typeof body === 'string') {
          return { kind: 'replay', response: { status: code, contentType, body } };
        }
      }
      throw new TributaryError('TRIB_UNEXPECTED_REPLY', `beginRequest answered an unexpected reply: ${JSON.stringify(reply)}`);
    },
    async acquire(scope, key, fingerprint, wait = {}) {
      const deadline = Date.now() + (wait.waitTimeoutMs ?? settings.waitTimeoutMs);
      let pause = settings.pollIntervalMs;
      let waited = false;
      for (;;) {
        const claim = await store.begin(scope, key, fingerprint);
        if (claim.kind !== 'in-flight') {
          count?.(claim.kind);
          return claim;
        }
        if (!waited) count?.('in_flight');
        waited = true;
        const left = deadline - Date.now();
        if (left <= 0) {
          count?.('timeout');
          return { kind: 'timeout' };
        }
        // Never sleep past the marker's expiry: that is when a crashed holder's key frees up.
        await sleep(Math.max(1, Math.min(pause, left, claim.expiresInMs > 0 ? claim.expiresInMs : pause)), undefined, wait.signal ? { signal: wait.signal } : {});
        pause = Math.min(pause * 2, 250);
      }
    },
    async complete(scope, key, token, response) {
      const done = await runLuaScript<number>(redis, completeScript, [recordKey(scope, key)], [token, response.status, response.contentType, response.body, settings.ttlMs]);
      count?.(done === 1 ? 'recorded' : 'lost');
      return done === 1;
    },
    async release(scope, key, token) {
      const done = await runLuaScript<number>(redis, releaseScript, [recordKey(scope, key)], [token]);
      count?.(done === 1 ? 'released' : 'lost');
      return done === 1;
    },
  };
  return store;
}

function outcomeCounter(registry: Registry | undefined): ((outcome: string) => void) | undefined {
  if (!registry) return undefined;
  const name = 'tributary_idempotency_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({
      name,
      help: 'Idempotency-key outcomes: acquired, replay, mismatch, in_flight (a duplicate waited), timeout, recorded, released, lost',
      labelNames: ['outcome'],
      registers: [registry],
    });
  return (outcome) => counter.inc({ outcome });
}
