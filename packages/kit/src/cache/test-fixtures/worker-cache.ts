/**
 * The cache both sides of the cross-process tests build: the test process
 * and the child (`cache-worker.ts`). Every observable goes through Redis so
 * the two processes can be counted together:
 *   `<prefix>:test:loads`    INCR by every loader run
 *   `<prefix>:test:waits`    INCR each time a process waits for another's loader
 *   `<prefix>:test:release`  a loader returns only once this key exists
 */
import { Type } from '@sinclair/typebox';
import type { RedisClient } from '../../redis/client.ts';
import { createCache, type Cache } from '../index.ts';

export const WorkerValue = Type.Object({ key: Type.String(), loadedBy: Type.String() }, { additionalProperties: false });

export const workerKeys = (prefix: string) => ({
  loads: `${prefix}:test:loads`,
  waits: `${prefix}:test:waits`,
  release: `${prefix}:test:release`,
});

export function workerCache(redis: RedisClient, options: { prefix: string; loadedBy: string; lockTtlMs: number; awaitRelease: boolean }) {
  const keys = workerKeys(options.prefix);
  return createCache({
    redis,
    prefix: options.prefix,
    schema: WorkerValue,
    lockTtlMs: options.lockTtlMs,
    waitTimeoutMs: 30_000,
    async load(key) {
      await redis.incr(keys.loads);
      // A slow source of truth: the test decides when it answers.
      while (options.awaitRelease && (await redis.exists(keys.release)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      return { key, loadedBy: options.loadedBy };
    },
    onReport: (report) => {
      if (report.kind === 'waiting') void redis.incr(keys.waits);
    },
  }) satisfies Cache<{ key: string; loadedBy: string }>;
}
