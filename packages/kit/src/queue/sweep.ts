import type { Registry } from 'prom-client';
import type { RedisClient } from '../redis/client.ts';
import { periodicJob } from '../telemetry/periodic.ts';
import { runLuaScript } from '../redis/script.ts';
import { queueKeys } from './keys.ts';
import { queueScripts } from './scripts.ts';

/**
 * The recovery sweep: for every registered worker whose heartbeat has
 * expired, moves what its processing list holds back to pending and
 * unregisters it (one script per worker, so an item is never lost or doubled
 * between the two lists). A live worker is left alone. Any process may run
 * it, any number of times, concurrently. Returns the number of items moved.
 * A run costs one script per registered worker (live processes), whatever
 * the queue holds: a live worker's script returns after one EXISTS.
 */
export async function sweepQueue(redis: RedisClient, name: string): Promise<number> {
  const keys = queueKeys(name);
  const workers = await redis.sendCommand<string[]>(['SMEMBERS', keys.workers]);
  let moved = 0;
  for (const worker of workers) {
    const reply = await runLuaScript<number>(
      redis,
      queueScripts.recover,
      [keys.heartbeat(worker), keys.processing(worker), keys.pending, keys.workers],
      [worker, '0'],
    );
    if (Number(reply) > 0) moved += Number(reply);
  }
  return moved;
}

/** Runs `sweepQueue` every `intervalMs` until closed (for processes that push but run no worker). */
export function startSweeper(options: {
  redis: RedisClient;
  name: string;
  intervalMs?: number;
  onSwept?: (moved: number) => void;
  onError?: (error: Error) => void;
  /** Run time and items moved, `job="queue-sweep:<name>"`; default: prom-client's global registry. */
  registry?: Registry;
}): { close(): void } {
  const meter = periodicJob(`queue-sweep:${options.name}`, options.registry ? { registry: options.registry } : {});
  const timer = setInterval(() => {
    meter.run(async (run) => {
      const moved = await sweepQueue(options.redis, options.name);
      run.items(moved);
      return moved;
    }).then(
      (moved) => {
        if (moved > 0) options.onSwept?.(moved);
      },
      (error: Error) => options.onError?.(error),
    );
  }, options.intervalMs ?? 10_000);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
