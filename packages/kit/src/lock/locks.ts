import { Counter, type Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { LockTimeoutError } from './errors.ts';
import { attemptAcquire, type Lease } from './lease.ts';
import { runWatched, type HeldLock } from './watchdog.ts';
import { abortableDelay } from '../delay.ts';

export interface LockOptions {
  redis: RedisClient;
  /** The caller's namespace, e.g. `reports:lock`; never a global key. */
  prefix: string;
  /** Counts acquisitions, timeouts and lost leases. */
  registry?: Registry;
}

export const lockDefaults = {
  /** First pause between attempts while waiting; doubles up to `maxRetryDelayMs`, with jitter. */
  retryDelayMs: 25,
  maxRetryDelayMs: 500,
};

export interface AcquireOptions {
  /** How long the lock lives unless extended. */
  ttlMs: number;
  /** How long to keep trying while someone else holds it (default 0: one attempt). */
  waitMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface WithLockOptions extends AcquireOptions {
  /** How often the watchdog renews the lease (default ttlMs / 3). */
  renewEveryMs?: number;
  /** Renewal errors (network); renewal keeps trying until the lease runs out. */
  onError?: (error: Error) => void;
}

export interface Locks {
  /** Takes the lock, waiting up to `waitMs`; null when it stayed held by another. */
  acquire(name: string, options: AcquireOptions): Promise<Lease | null>;
  /**
   * Runs `fn` holding the lock, renewing it meanwhile, and releases it after.
   * Rejects with LockTimeoutError when the lock could not be taken, and with
   * LockLostError when it was lost before `fn` finished (even if `fn` then
   * resolved: its work was not provably alone). `held.signal` fires on loss.
   */
  withLock<T>(name: string, fn: (held: HeldLock) => Promise<T>, options: WithLockOptions): Promise<T>;
}

function lockCounter(registry: Registry): Counter<string> {
  const name = 'tributary_lock_events_total';
  return (
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help: 'Lock acquisitions, wait timeouts and leases lost while working', labelNames: ['prefix', 'event'], registers: [registry] })
  );
}

/**
 * A lease-based lock on one Redis instance with fencing tokens. Not Redlock:
 * if that Redis fails over to a replica that missed the SET, two holders can
 * exist at once. See docs/kit/lock.md for when (not) to use it.
 */
export function createLocks(options: LockOptions): Locks {
  const { redis, prefix } = options;
  if (!prefix) throw new TypeError('lock: a prefix is required');
  const counter = options.registry ? lockCounter(options.registry) : null;
  const count = (event: 'acquired' | 'timeout' | 'lost') => counter?.inc({ prefix, event });

  async function acquire(name: string, acquireOptions: AcquireOptions): Promise<Lease | null> {
    if (!name) throw new TypeError('lock: a name is required');
    const waitMs = acquireOptions.waitMs ?? 0;
    if (!Number.isFinite(waitMs) || waitMs < 0) throw new RangeError('lock: waitMs must be >= 0');
    const deadline = Date.now() + waitMs;
    let delay = lockDefaults.retryDelayMs;
    for (;;) {
      acquireOptions.signal?.throwIfAborted();
      const attempt = await attemptAcquire(redis, prefix, name, acquireOptions.ttlMs);
      if (attempt.kind === 'acquired') {
        count('acquired');
        return attempt.lease;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        count('timeout');
        return null;
      }
      // Jittered backoff, but never past the holder's expiry or our deadline.
      const pause = Math.min(delay * (0.5 + Math.random() / 2), attempt.retryInMs + 1, left);
      await abortableDelay(Math.max(1, Math.round(pause)), acquireOptions.signal);
      delay = Math.min(delay * 2, lockDefaults.maxRetryDelayMs);
    }
  }

  return {
    acquire,
    async withLock(name, fn, withOptions) {
      const lease = await acquire(name, withOptions);
      if (!lease) throw new LockTimeoutError(name, withOptions.waitMs ?? 0);
      try {
        return await runWatched(lease, fn, {
          ttlMs: withOptions.ttlMs,
          renewEveryMs: withOptions.renewEveryMs ?? Math.max(1, Math.floor(withOptions.ttlMs / 3)),
          ...(withOptions.signal ? { signal: withOptions.signal } : {}),
          ...(withOptions.onError ? { onError: withOptions.onError } : {}),
          onLost: () => count('lost'),
        });
      } finally {
        // Compare-and-delete: harmless when the lease is already lost. If
        // Redis is unreachable the lock simply expires after ttlMs.
        await lease.release().catch((error: Error) => withOptions.onError?.(error));
      }
    },
  };
}
