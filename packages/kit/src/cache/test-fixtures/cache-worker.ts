/**
 * A cache instance in its own process, for the stampede and crash tests.
 *
 * Environment:
 *   REDIS_URL      the test's private redis-server
 *   PREFIX         cache prefix (see worker-cache.ts for the counters under it)
 *   KEY            the key every request asks for
 *   CONCURRENCY    concurrent get() calls
 *   LOCK_TTL_MS    the loader lock's expiry
 *   AWAIT_RELEASE  '1': the loader answers only after the test sets the release key
 *   RESULTS_KEY    a list: each get()'s result, JSON, pushed when all have resolved
 */
import { connectRedis } from '../../redis/client.ts';
import { workerCache } from './worker-cache.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const redis = await connectRedis(env('REDIS_URL'));
const cache = workerCache(redis, {
  prefix: env('PREFIX'),
  loadedBy: `child-${process.pid}`,
  lockTtlMs: Number(env('LOCK_TTL_MS')),
  awaitRelease: env('AWAIT_RELEASE') === '1',
});
const results = await Promise.all(Array.from({ length: Number(env('CONCURRENCY')) }, () => cache.get(env('KEY'))));
await redis.rPush(env('RESULTS_KEY'), results.map((result) => JSON.stringify(result)));
await cache.close();
await redis.close();
