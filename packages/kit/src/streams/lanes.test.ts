import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { createConsumer } from './consumer.ts';
import { listDeadLetters } from './dead-letters.ts';
import { defineEvent } from './events.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

/** Resolves when `until` holds, checked as often as the event loop allows; a handler awaiting it yields to the others. */
const until = (condition: () => boolean, description: string) => waitFor(condition, { timeoutMs: 10_000, intervalMs: 5, description });

describe('keyed handlers (on(..., { key }))', () => {
  it('handle events of different keys at once: the first one waits for the second to start, which one at a time could never do', async () => {
    const service = uniqueService('lanes-overlap');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes([publisher.envelope(placed, { n: 0, orderId: 'o-a' }), publisher.envelope(placed, { n: 1, orderId: 'o-b' })]);
    const started = new Set<number>();
    const finished: number[] = [];
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0' }).on(
          placed,
          async (event) => {
            started.add(event.data.n);
            if (event.data.n === 0) await until(() => started.has(1), 'the second event started while the first is in hand');
            finished.push(event.data.n);
          },
          { key: (event) => event.data.orderId },
        ),
      )
      .start();
    await waitFor(async () => finished.length === 2 && (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'both handled and acked' });
    expect(finished).toEqual([1, 0]);
  });

  it('keep each key in stream order, and never run more keys at once than the concurrency', async () => {
    const service = uniqueService('lanes-order');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    // Six orders, ten events each, interleaved in the stream.
    const envelopes = Array.from({ length: 60 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n % 6}` }));
    await publisher.publishEnvelopes(envelopes);
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let most = 0;
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0', concurrency: 4 }).on(
          placed,
          async (event) => {
            inFlight++;
            most = Math.max(most, inFlight);
            // A wait of a different length per event, so lanes finish out of step.
            for (let i = 0; i < (event.data.n * 7) % 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
            seen.set(event.data.orderId, [...(seen.get(event.data.orderId) ?? []), event.data.n]);
            inFlight--;
          },
          { key: (event) => event.data.orderId },
        ),
      )
      .start();
    await waitFor(async () => [...seen.values()].flat().length === 60 && (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'all handled and acked' });
    for (let order = 0; order < 6; order++) {
      expect(seen.get(`o-${order}`)).toEqual(Array.from({ length: 10 }, (_, i) => order + 6 * i));
    }
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('a poison event is retried and dead-lettered alone: the rest of its read, its own key included, is handled and acked', async () => {
    const service = uniqueService('lanes-poison');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes(Array.from({ length: 9 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n % 3}` })));
    const applied = new Set<number>();
    await t
      .track(
        createConsumer({
          redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0',
          maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 40, claimIdleMs: 10_000,
        }).on(
          placed,
          async (event) => {
            if (event.data.n === 4) throw new Error('poison 4');
            applied.add(event.data.n);
          },
          { key: (event) => event.data.orderId },
        ),
      )
      .start();
    await waitFor(async () => applied.size === 8 && (await listDeadLetters(t.redis, publisher.stream)).length === 1 && (await pendingCount(t.redis, publisher.stream, 'g')) === 0, {
      description: 'eight handled, the poison dead-lettered, nothing pending',
    });
    expect([...applied].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    const [dead] = await listDeadLetters(t.redis, publisher.stream);
    expect(dead?.error).toMatch(/poison 4/);
  });

  it('run between the events of other handlers in stream order: an unkeyed handler sees every keyed event before it handled', async () => {
    const service = uniqueService('lanes-mixed');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    const closed = defineEvent({ source: service, type: 'DayClosed', schema: Type.Object({ day: Type.Integer() }) });
    await publisher.publishEnvelopes([
      ...Array.from({ length: 4 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })),
      publisher.envelope(closed, { day: 1 }),
      ...Array.from({ length: 4 }, (_, n) => publisher.envelope(placed, { n: n + 4, orderId: `o-${n}` })),
    ]);
    const handled: number[] = [];
    let seenAtClose: number[] | null = null;
    await t
      .track(
        createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'g-1', blockMs: 50, startFrom: '0' })
          .on(placed, async (event) => void handled.push(event.data.n), { key: (event) => event.data.orderId })
          .on(closed, async () => void (seenAtClose = [...handled].sort((a, b) => a - b))),
      )
      .start();
    await waitFor(() => handled.length === 8, { description: 'all handled' });
    expect(seenAtClose).toEqual([0, 1, 2, 3]);
  });
});
