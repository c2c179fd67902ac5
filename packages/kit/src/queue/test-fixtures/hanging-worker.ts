/**
 * A queue worker in its own process, for the killed-worker test: the test
 * SIGKILLs it while it holds an item.
 *
 * Environment:
 *   REDIS_URL         the test's private redis-server
 *   QUEUE             queue name
 *   WORKER_ID         this worker's id
 *   HEARTBEAT_TTL_MS  heartbeat expiry
 *   DONE_KEY          a Redis set: the `n` of every job this process finished
 *   HANG_AT           the job with this `n` never finishes; before hanging the
 *                     worker sets `<DONE_KEY>:hanging` to the item id
 */
import { connectRedis } from '../../redis/client.ts';
import { createQueue } from '../queue.ts';
import { createWorker } from '../worker.ts';
import { TestJob } from './jobs.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const redis = await connectRedis(env('REDIS_URL'));
const doneKey = env('DONE_KEY');
const hangAt = Number(env('HANG_AT'));
const queue = createQueue({ redis, name: env('QUEUE'), schema: TestJob });
const worker = createWorker({
  queue,
  workerId: env('WORKER_ID'),
  heartbeatTtlMs: Number(env('HEARTBEAT_TTL_MS')),
  blockMs: 100,
  sweepIntervalMs: 0,
  onReport: (report) => {
    if (report.kind === 'loop-error') process.stderr.write(`loop-error: ${report.error.message}\n`);
  },
  handler: async (job, context) => {
    if (job.n === hangAt) {
      await redis.set(`${doneKey}:hanging`, context.id);
      await new Promise<never>(() => undefined); // in hand until SIGKILL
    }
    await redis.sAdd(doneKey, String(job.n));
  },
});
await worker.start();
