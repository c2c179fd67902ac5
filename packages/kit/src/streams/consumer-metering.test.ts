import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { createConsumer } from './consumer.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();

async function metric(registry: Registry, name: string, job: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((text) => text.startsWith(`${name}{`) && text.includes(`job="${job}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('consumer loops are periodic jobs with metrics', () => {
  it("the claim loop reports the entries it took over from a dead consumer; the retry loop the retries it ran", async () => {
    const service = uniqueService('metered');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    await publisher.publishEnvelopes(Array.from({ length: 3 }, (_, n) => publisher.envelope(placed, { n, orderId: `o-${n}` })));
    // A consumer that read everything and died without acking.
    await t.redis.sendCommand(['XGROUP', 'CREATE', publisher.stream, 'g', '0']);
    await t.redis.sendCommand(['XREADGROUP', 'GROUP', 'g', 'dead-1', 'COUNT', '10', 'STREAMS', publisher.stream, '>']);

    const registry = new Registry();
    let attempts = 0;
    await t
      .track(
        createConsumer({
          redis: t.redis, stream: publisher.stream, group: 'g', consumer: 'live-1', blockMs: 50, startFrom: '0',
          claimIdleMs: 200, claimIntervalMs: 100, backoffBaseMs: 10, backoffMaxMs: 40, registry,
        }).on(placed, async (event) => {
          // n = 0 fails once: one retry round.
          if (event.data.n === 0 && attempts++ === 0) throw new Error('once');
        }),
      )
      .start();
    await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'g')) === 0, { description: 'all claimed, handled and acked' });
    const claimJob = `consumer-claim:${publisher.stream}:g`;
    const retryJob = `consumer-retry:${publisher.stream}:g`;
    expect(await metric(registry, 'tributary_periodic_items_total', claimJob)).toBe(3);
    expect(await metric(registry, 'tributary_periodic_items_total', retryJob)).toBe(1);
    expect(await metric(registry, 'tributary_periodic_run_seconds_count', claimJob)).toBeGreaterThanOrEqual(1);
  });
});
