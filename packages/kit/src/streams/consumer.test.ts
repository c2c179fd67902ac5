import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../redis/client.ts';
import { waitFor } from '../testing/wait-for.ts';
import { groupsOf } from './commands.ts';
import { createConsumer, type HandlerContext } from './consumer.ts';
import { createPublisher } from './publisher.ts';
import { deferred, orderPlaced, pendingCount, pendingEntries, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

/** The effect and the dedup marker in one atomic step: INCRBY only if the marker was not there. */
const APPLY_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX') then
  return redis.call('INCRBY', KEYS[2], ARGV[1])
end
return false
`;

describe('idempotent handling under redelivery', () => {
  it('a handler that crashes after its effect is stored is redelivered, and the effect counts once', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    const counter = `${service}:test:total`;
    const naiveCounter = `${service}:test:naive-total`;
    const calls: Array<{ n: number; deliveryCount: number; applied: boolean }> = [];

    await t
      .track(
        createConsumer({
          redis: t.redis, stream, group: 'ledger', consumer: 'ledger-1', blockMs: 100,
          maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
        }).on(placed, async (event, context: HandlerContext) => {
          const marker = `${service}:test:handled:${context.group}:${event.id}`;
          const result = await t.redis.sendCommand(['EVAL', APPLY_ONCE, '2', marker, counter, String(event.data.n)]);
          // The same effect without a marker, to show redelivery really happened.
          await t.redis.incrBy(naiveCounter, event.data.n);
          calls.push({ n: event.data.n, deliveryCount: context.deliveryCount, applied: result !== null });
          if (context.deliveryCount === 1) throw new Error('crashed after storing the effect, before the ack');
        }),
      )
      .start();

    const amounts = [5, 7, 11];
    for (const n of amounts) await publisher.publish(placed, { n, orderId: `o-${n}` });

    await waitFor(() => calls.filter((c) => c.deliveryCount === 2).length === amounts.length, { description: 'every event redelivered once' });
    await waitFor(async () => (await pendingCount(t.redis, stream, 'ledger')) === 0, { description: 'all acked' });
    for (const n of amounts) {
      expect(calls.filter((c) => c.n === n)).toEqual([
        { n, deliveryCount: 1, applied: true },
        { n, deliveryCount: 2, applied: false },
      ]);
    }
    const sum = amounts.reduce((a, b) => a + b, 0);
    expect(Number(await t.redis.get(counter))).toBe(sum);
    expect(Number(await t.redis.get(naiveCounter))).toBe(2 * sum);
  });
});

async function connectionsNamed(redis: RedisClient, name: string): Promise<number> {
  const list = await redis.sendCommand<string>(['CLIENT', 'LIST']);
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('graceful shutdown', () => {
  it('close() lets the in-flight handler finish and ack, then closes the connection', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    const clientName = `shutdown-${service}`;
    const redis = await t.connect(clientName);
    const started = deferred();
    const release = deferred();
    const finished: Array<{ n: number; aborted: boolean }> = [];
    const consumer = t.track(
      createConsumer({ redis, stream, group: 'g', consumer: 'g-1', blockMs: 100, batchSize: 10 }).on(placed, async (event, context) => {
        if (event.data.n === 1) {
          started.resolve();
          await release.promise;
        }
        finished.push({ n: event.data.n, aborted: context.signal.aborted });
      }),
    );
    await consumer.start();
    expect(await connectionsNamed(t.redis, clientName)).toBe(2); // ours and the consumer's own
    await publisher.publishEnvelopes([1, 2].map((n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    await started.promise;

    let closed = false;
    const closing = consumer.close().then(() => { closed = true; });
    // A few round trips to Redis: a close() that did not wait would have resolved by now.
    for (let i = 0; i < 5; i++) await t.redis.ping();
    expect(closed).toBe(false);
    expect(finished).toEqual([]);
    expect(await pendingCount(t.redis, stream, 'g')).toBe(2);

    release.resolve();
    await closing;
    expect(finished).toEqual([{ n: 1, aborted: false }, { n: 2, aborted: false }]);
    expect(await pendingCount(t.redis, stream, 'g')).toBe(0);
    await waitFor(async () => (await connectionsNamed(t.redis, clientName)) === 1, { description: "the consumer's connection is closed" });
    expect(redis.isOpen).toBe(true); // the caller's client is the caller's to close
    await consumer.close(); // a second close is harmless

    // A closed consumer reads nothing more.
    const lastDelivered = (await groupsOf(t.redis, stream)).find((g) => g.name === 'g')?.lastDeliveredId;
    await publisher.publish(placed, { n: 3, orderId: 'o-3' });
    const group = (await groupsOf(t.redis, stream)).find((g) => g.name === 'g');
    expect(group?.lastDeliveredId).toBe(lastDelivered);
    expect(group?.lag).toBe(1);
  });

  it('a second close() while the first is still waiting resolves only once the consumer is closed', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const started = deferred();
    const release = deferred();
    let finished = false;
    const consumer = t.track(
      createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 100 }).on(placed, async () => {
        started.resolve();
        await release.promise;
        finished = true;
      }),
    );
    await consumer.start();
    await publisher.publish(placed, { n: 1, orderId: 'o-1' });
    await started.promise;

    const first = consumer.close();
    let secondResolved = false;
    const second = consumer.close().then(() => { secondResolved = true; });
    for (let i = 0; i < 5; i++) await t.redis.ping();
    expect(secondResolved).toBe(false);
    release.resolve();
    await Promise.all([first, second]);
    expect(finished).toBe(true);
    expect(await pendingCount(t.redis, publisher.stream, 'g')).toBe(0);
  });

  it('a handler still running at the shutdown deadline is aborted; its entry stays pending for redelivery', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const stream = publisher.stream;
    const started = deferred();
    const consumer = t.track(
      createConsumer({ redis: t.redis, stream, group: 'g', consumer: 'g-1', blockMs: 100, shutdownTimeoutMs: 100 }).on(placed, async (_event, context) => {
        started.resolve();
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
        throw new Error('aborted by shutdown');
      }),
    );
    await consumer.start();
    const entryId = await publisher.publish(placed, { n: 1, orderId: 'o-1' });
    await started.promise;
    await consumer.close();
    expect(await pendingEntries(t.redis, stream, 'g')).toEqual([{ id: entryId, consumer: 'g-1', deliveries: 1 }]);
  });
});

describe('lifecycle', () => {
  it('close() while start() is still connecting leaves nothing running', async () => {
    const service = uniqueService('lifecycle');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const handled: number[] = [];
    const consumer = createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50 }).on(
      placed,
      async (event) => {
        handled.push(event.data.n);
      },
    );
    const started = consumer.start();
    await consumer.close();
    await started;
    await publisher.publish(placed, { n: 1, orderId: 'o-1' });
    // A consumer that is really running (same group, another name) takes the entry; the closed one never did.
    const witness: number[] = [];
    await t
      .track(createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-2', blockMs: 50 }).on(placed, async (event) => {
        witness.push(event.data.n);
      }))
      .start();
    await waitFor(() => witness.length === 1, { description: 'the live consumer handled the entry' });
    expect(handled).toEqual([]);
    await expect(consumer.start()).rejects.toThrow(/already started|closed/);
  });
});
