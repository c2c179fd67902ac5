import { LockLostError } from './errors.ts';
import type { Lease } from './lease.ts';

export interface HeldLock {
  /** The fencing token of this acquisition. */
  token: number;
  /** Aborted (with a LockLostError) when the lease is lost; stop writing when it fires. */
  signal: AbortSignal;
  lease: Lease;
}

export interface WatchdogOptions {
  ttlMs: number;
  renewEveryMs: number;
  /** Aborts the work too (e.g. service shutdown). */
  signal?: AbortSignal;
  /** A renewal that failed on the network; the watchdog keeps trying until the lease runs out. */
  onError?: (error: Error) => void;
  onLost?: (error: LockLostError) => void;
}

/**
 * Runs `fn` while renewing the lease every `renewEveryMs`. The work is
 * aborted when Redis says the lease is gone (`taken`), or when no renewal got
 * through before the lease's own deadline (`expired`, e.g. Redis unreachable):
 * past that point another holder may already be writing.
 */
export async function runWatched<T>(lease: Lease, fn: (held: HeldLock) => Promise<T>, options: WatchdogOptions): Promise<T> {
  const controller = new AbortController();
  let stopped = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let lost: LockLostError | null = null;

  const stop = () => {
    stopped = true;
    clearTimeout(renewTimer);
    clearTimeout(expiryTimer);
  };
  const lose = (reason: 'taken' | 'expired') => {
    if (stopped || lost) return;
    lost = new LockLostError(lease.name, reason);
    stop();
    options.onLost?.(lost);
    controller.abort(lost);
  };
  const armExpiry = () => {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => lose('expired'), lease.remainingMs());
  };
  const renew = async () => {
    try {
      const extended = await lease.extend(options.ttlMs);
      if (stopped) return;
      if (!extended) return lose('taken');
      armExpiry();
    } catch (error) {
      if (stopped) return;
      options.onError?.(error as Error);
    }
    // A timeout chain, not setInterval: renewals never overlap.
    if (!stopped) renewTimer = setTimeout(renew, options.renewEveryMs);
  };

  const onOuterAbort = () => {
    if (!controller.signal.aborted) controller.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) onOuterAbort();
  armExpiry();
  renewTimer = setTimeout(renew, options.renewEveryMs);
  try {
    const result = await fn({ token: lease.token, signal: controller.signal, lease });
    // Finished, but not (provably) alone: the caller must not treat it as done under the lock.
    if (controller.signal.reason instanceof LockLostError) throw controller.signal.reason;
    return result;
  } finally {
    stop();
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
