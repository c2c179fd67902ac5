import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from '../redis/client.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { lockKeys } from './keys.ts';

const script = (name: string) => loadLuaScript(fileURLToPath(new URL(`./lua/${name}`, import.meta.url)));
const acquireScript = script('acquire-2.lua');
const releaseScript = script('release-1.lua');
const extendScript = script('extend-1.lua');

/** A held lock. Only this object can extend or release it (its value is secret to it). */
export interface Lease {
  readonly name: string;
  /** Fencing token: grows with every acquisition of this lock; present it to whatever the lock protects. */
  readonly token: number;
  /**
   * Milliseconds the lease is surely still valid by this process's monotonic
   * clock, counted from when the last acquire/extend was *sent* (so it errs on
   * the short side); 0 once it may be gone. Not a guarantee: a pause between
   * reading this and acting on it is why fencing tokens exist.
   */
  remainingMs(): number;
  /** Resets the expiry to `ttlMs` (default: the acquire ttl) from now; false when the lease is lost. */
  extend(ttlMs?: number): Promise<boolean>;
  /** Frees the lock; false when it was not ours any more (expired, maybe taken). */
  release(): Promise<boolean>;
}

export type AttemptResult = { kind: 'acquired'; lease: Lease } | { kind: 'held'; retryInMs: number };

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`lock: ttlMs must be an integer >= 1, got ${String(ttlMs)}`);
}

/** One SET-NX-like attempt (the acquire script); never waits. */
export async function attemptAcquire(redis: RedisClient, prefix: string, name: string, ttlMs: number): Promise<AttemptResult> {
  checkTtl(ttlMs);
  const keys = lockKeys(prefix, name);
  const nonce = randomBytes(16).toString('hex');
  const sentAt = performance.now();
  const [acquired, value] = await runLuaScript<[number, number]>(redis, acquireScript, [keys.lock, keys.fence], [nonce, ttlMs]);
  if (Number(acquired) !== 1) return { kind: 'held', retryInMs: Math.max(0, Number(value)) };

  const token = Number(value);
  const held = `${token}:${nonce}`;
  let validUntil = sentAt + ttlMs;
  const lease: Lease = {
    name,
    token,
    remainingMs: () => Math.max(0, validUntil - performance.now()),
    async extend(newTtlMs = ttlMs) {
      checkTtl(newTtlMs);
      const extendSentAt = performance.now();
      const extended = Number(await runLuaScript<number>(redis, extendScript, [keys.lock], [held, newTtlMs])) === 1;
      validUntil = extended ? extendSentAt + newTtlMs : 0;
      return extended;
    },
    async release() {
      validUntil = 0;
      return Number(await runLuaScript<number>(redis, releaseScript, [keys.lock], [held])) === 1;
    },
  };
  return { kind: 'acquired', lease };
}
