/**
 * A consumer in its own process, for the crash-recovery tests: the test kills
 * it with SIGKILL while a handler is in flight.
 *
 * Environment:
 *   REDIS_URL     the test's private redis-server
 *   SERVICE       the publishing service (stream `<SERVICE>:events`)
 *   GROUP         consumer group
 *   CONSUMER      consumer name
 *   BATCH_SIZE    entries read per batch
 *   HANDLED_KEY   a Redis set: the `n` of every event this process handled
 *   BLOCK_AT      the handler for the event with this `n` never returns; before
 *                 hanging it sets `<HANDLED_KEY>:blocked` to the event's entry id
 */
import { connectRedis } from '../../redis/client.ts';
import { createConsumer } from '../consumer.ts';
import { orderPlaced } from './harness-events.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const redis = await connectRedis(env('REDIS_URL'));
const placed = orderPlaced(env('SERVICE'));
const handledKey = env('HANDLED_KEY');
const blockAt = Number(env('BLOCK_AT'));

const consumer = createConsumer({
  redis,
  stream: placed.stream,
  group: env('GROUP'),
  consumer: env('CONSUMER'),
  batchSize: Number(env('BATCH_SIZE')),
  blockMs: 100,
  claimIdleMs: 3_600_000,
  onReport: (report) => {
    if (report.kind === 'loop-error') process.stderr.write(`loop-error: ${report.error.message}\n`);
  },
}).on(placed, async (event, context) => {
  if (event.data.n === blockAt) {
    await redis.set(`${handledKey}:blocked`, context.entryId);
    await new Promise<never>(() => undefined); // in flight until SIGKILL
  }
  await redis.sAdd(handledKey, String(event.data.n));
});

await consumer.start();
