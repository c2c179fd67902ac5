import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { createConsumer } from './consumer.ts';
import { defineEvent } from './events.ts';
import { listDeadLetters } from './dead-letters.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

describe('batch handlers (onBatch)', () => {
  it('hands every valid event of one read to one call, in stream order, and acks them all', async () => {
    const service = uniqueService('batch');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    // Published before the consumer starts, so one read returns them all.
    await publisher.publishEnvelopes(Array.from({ length: 50 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    const calls: number[][] = [];
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, batchSize: 100, startFrom: '0' }).onBatch(
          placed,
          async (events, context) => {
            expect(context.entryIds).toHaveLength(events.length);
            calls.push(events.map((event) => event.data.n));
          },
        ),
      )
      .start();
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0 && calls.flat().length === 50, { description: 'all handled and acked' });
    expect(calls).toEqual([Array.from({ length: 50 }, (_, n) => n)]);
  });

  it('with lingerMs, events arriving one by one after a read gather for the next read instead of one read each', async () => {
    const service = uniqueService('batch-linger');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const calls: number[][] = [];
    await t
      .track(
        // The linger is long against five XADDs, so they all land inside it.
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, batchSize: 100, lingerMs: 1_500, startFrom: '0' }).onBatch(
          placed,
          async (events) => void calls.push(events.map((event) => event.data.n)),
        ),
      )
      .start();
    // A lone event on a quiet stream is read at once.
    await publisher.publish(placed, { n: 0, orderId: 'o-0' });
    await waitFor(() => calls.length === 1, { description: 'the first event handled' });
    for (let n = 1; n <= 5; n++) await publisher.publish(placed, { n, orderId: `o-${n}` });
    await waitFor(async () => calls.flat().length === 6 && (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'all handled and acked' });
    expect(calls).toEqual([[0], [1, 2, 3, 4, 5]]);
  });

  it('retries each event of a failed call on its own, then dead-letters what keeps failing', async () => {
    const service = uniqueService('batch-retry');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes(Array.from({ length: 5 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    // Raw garbage in the middle is dead-lettered and does not break the run apart from it.
    await t.redis.xAdd(publisher.stream, '*', { type: 'OrderPlaced', junk: '1' });
    await publisher.publish(placed, { n: 5, orderId: 'o-5' });
    const applied = new Set<number>();
    let calls = 0;
    await t
      .track(
        createConsumer({
          redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0',
          maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
        }).onBatch(placed, async (events) => {
          calls++;
          // The first call fails as a whole; n = 3 fails forever.
          if (calls === 1) throw new Error('store unavailable');
          if (events.some((event) => event.data.n === 3)) throw new Error('poison 3');
          for (const event of events) applied.add(event.data.n);
        }),
      )
      .start();
    await waitFor(async () => applied.size === 5 && (await listDeadLetters(t.redis, publisher.stream)).length === 2, { description: 'handled or dead' });
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'nothing pending' });
    expect([...applied].sort()).toEqual([0, 1, 2, 4, 5]);
    const dead = await listDeadLetters(t.redis, publisher.stream, { count: 10 });
    const reasons = dead.map((letter) => letter.error);
    expect(reasons).toHaveLength(2);
    expect(reasons.some((reason) => reason.startsWith('invalid entry'))).toBe(true);
    expect(reasons).toContain('poison 3');
  });

  it('acks the events a batch handler did not name as failed, and retries only the named one', async () => {
    const service = uniqueService('batch-outcome');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes(Array.from({ length: 5 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    const seen: number[][] = [];
    await t
      .track(
        createConsumer({
          redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0',
          maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
        }).onBatch(placed, async (events) => {
          seen.push(events.map((event) => event.data.n));
          const index = events.findIndex((event) => event.data.n === 2);
          return index < 0 ? undefined : { failed: [{ index, error: new Error('poison 2') }] };
        }),
      )
      .start();
    await waitFor(async () => (await listDeadLetters(t.redis, publisher.stream)).length === 1, { description: 'the poison event dead-lettered' });
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'nothing pending' });
    // Its neighbours were handled once, in the first call; only n = 2 came back, alone.
    expect(seen).toEqual([[0, 1, 2, 3, 4], [2]]);
    const [letter] = await listDeadLetters(t.redis, publisher.stream);
    expect(letter?.error).toBe('poison 2');
  });

  it('gives one call to a read of several types that share one batch handler', async () => {
    const service = uniqueService('batch-shared');
    const placed = orderPlaced(service);
    const noted = defineEvent({ source: service, type: 'OrderNoted', schema: placed.schema });
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes([
      publisher.envelope(placed, { n: 1, orderId: 'a' }),
      publisher.envelope(noted, { n: 2, orderId: 'b' }),
      publisher.envelope(placed, { n: 3, orderId: 'c' }),
    ]);
    const calls: number[][] = [];
    const shared = async (events: Array<{ data: { n: number } }>) => void calls.push(events.map((event) => event.data.n));
    await t
      .track(createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0' }).onBatch(placed, shared).onBatch(noted, shared))
      .start();
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0 && calls.flat().length === 3, { description: 'all handled' });
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('keeps stream order between batch and single handlers of one stream', async () => {
    const service = uniqueService('batch-mixed');
    const placed = orderPlaced(service);
    const other = defineEvent({ source: service, type: 'OrderNoted', schema: orderPlaced(service).schema });
    const publisher = createPublisher({ redis: t.redis, service });
    const sequence: string[] = [];
    await publisher.publishEnvelopes([
      publisher.envelope(placed, { n: 1, orderId: 'a' }),
      publisher.envelope(placed, { n: 2, orderId: 'b' }),
      publisher.envelope(other, { n: 3, orderId: 'c' }),
      publisher.envelope(placed, { n: 4, orderId: 'd' }),
    ]);
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0' })
          .onBatch(placed, async (events) => void sequence.push(`batch:${events.map((event) => event.data.n).join(',')}`))
          .on(other, async (event) => void sequence.push(`single:${event.data.n}`)),
      )
      .start();
    await waitFor(() => sequence.length === 3, { description: 'three calls' });
    expect(sequence).toEqual(['batch:1,2', 'single:3', 'batch:4']);
  });
});
