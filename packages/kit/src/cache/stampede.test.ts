import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { workerCache, workerKeys } from './test-fixtures/worker-cache.ts';
import { useRedis } from '../testing/vitest.ts';

const fixture = fileURLToPath(new URL('./test-fixtures/cache-worker.ts', import.meta.url));
const env = useRedis();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Worker {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function spawnWorker(vars: Record<string, string>): Worker {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, REDIS_URL: env.server.url, ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const counter = async (key: string) => Number((await env.redis.get(key)) ?? 0);

describe('stampede protection across processes', () => {
  it('20 concurrent misses for one key, split across two processes, run the loader exactly once', async () => {
    const prefix = `stampede-${randomBytes(4).toString('hex')}:cache`;
    const keys = workerKeys(prefix);
    const resultsKey = `${prefix}:test:results`;
    const worker = spawnWorker({ PREFIX: prefix, KEY: 'product-1', CONCURRENCY: '10', LOCK_TTL_MS: '15000', AWAIT_RELEASE: '1', RESULTS_KEY: resultsKey });
    const cache = workerCache(env.redis, { prefix, loadedBy: `parent-${process.pid}`, lockTtlMs: 15_000, awaitRelease: true });
    try {
      const ours = Promise.all(Array.from({ length: 10 }, () => cache.get('product-1')));

      // Both processes have reached Redis: one runs the loader, the other waits on its lock.
      // Without the lock both would load (loads = 2, waits = 0) and the assertion below fails.
      await waitFor(async () => (await counter(keys.loads)) + (await counter(keys.waits)) >= 2, {
        timeoutMs: 30_000,
        description: `both processes reach the cache; child output: ${worker.output()}`,
      });
      expect({ loads: await counter(keys.loads), waits: await counter(keys.waits) }).toEqual({ loads: 1, waits: 1 });

      await env.redis.set(keys.release, '1');
      const parentResults = await ours;
      expect(await worker.exited, worker.output()).toBe(0);
      const childResults = (await env.redis.lRange(resultsKey, 0, -1)).map((raw) => JSON.parse(raw) as unknown);
      expect(childResults).toHaveLength(10);

      const all = [...parentResults, ...childResults];
      expect(new Set(all.map((result) => JSON.stringify(result))).size).toBe(1);
      expect(all[0]).toEqual({ key: 'product-1', loadedBy: expect.stringMatching(/^(parent|child)-\d+$/) });
      expect(await counter(keys.loads)).toBe(1);
      expect(await env.redis.exists(cache.keys.lock('product-1'))).toBe(0);
    } finally {
      await cache.close();
    }
  });

  it('when the lock holder dies, its lock expires and a waiting instance loads', async () => {
    const prefix = `crash-${randomBytes(4).toString('hex')}:cache`;
    const keys = workerKeys(prefix);
    const lockTtlMs = 1_500;
    // The child's loader never answers: it holds the lock until we kill it.
    const worker = spawnWorker({ PREFIX: prefix, KEY: 'product-1', CONCURRENCY: '1', LOCK_TTL_MS: String(lockTtlMs), AWAIT_RELEASE: '1', RESULTS_KEY: `${prefix}:test:results` });
    const cache = workerCache(env.redis, { prefix, loadedBy: 'parent', lockTtlMs, awaitRelease: false });
    try {
      await waitFor(async () => (await counter(keys.loads)) === 1, { timeoutMs: 30_000, description: `child loads; output: ${worker.output()}` });
      const lockTtl = await env.redis.pTTL(cache.keys.lock('product-1'));
      expect(lockTtl).toBeGreaterThan(0);
      expect(lockTtl).toBeLessThanOrEqual(lockTtlMs);

      const ours = cache.get('product-1');
      await waitFor(async () => (await counter(keys.waits)) === 1, { timeoutMs: 10_000, description: 'parent waits on the child lock' });
      worker.child.kill('SIGKILL');
      await worker.exited;

      expect(await ours).toEqual({ key: 'product-1', loadedBy: 'parent' });
      expect(await counter(keys.loads)).toBe(2);
      // It loaded as the new lock holder and stored the value, not as a give-up bypass.
      expect(cache.stats()).toMatchObject({ bypassed: 0, waits: 1, loads: 1 });
      expect(JSON.parse((await env.redis.get(cache.keys.entry('product-1'))) ?? 'null')).toEqual({ found: true, value: { key: 'product-1', loadedBy: 'parent' } });
    } finally {
      await cache.close();
    }
  });
});
