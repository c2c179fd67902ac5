import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis } from '../redis/client.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createConsumer, type ConsumerReport } from './consumer.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced, pendingCount, pendingEntries, uniqueService, useRedis } from './test-fixtures/harness.ts';

const t = useRedis();
const fixture = fileURLToPath(new URL('./test-fixtures/crashing-consumer.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Crashed {
  service: string;
  stream: string;
  handledKey: string;
  /** Entry ids of n = 1..total, index n - 1. */
  entryIds: string[];
}

/**
 * Publishes events n = 1..total, runs a consumer in a child process with
 * batches of 4 whose handler hangs on n = 6, and SIGKILLs it mid-batch: 1..4
 * are handled and acked, 5 handled but not acked, 6 in flight, 7..8 delivered
 * but never started, 9.. never delivered.
 */
async function crashAConsumer(consumerName: string, total: number): Promise<Crashed> {
  const service = uniqueService('shop');
  const placed = orderPlaced(service);
  const publisher = createPublisher({ redis: t.redis, service });
  const entryIds = await publisher.publishEnvelopes(
    Array.from({ length: total }, (_, i) => publisher.envelope(placed, { n: i + 1, orderId: `o-${i + 1}` })),
  );
  const handledKey = `${service}:test:handled`;
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      REDIS_URL: t.server.url,
      SERVICE: service,
      GROUP: 'workers',
      CONSUMER: consumerName,
      BATCH_SIZE: '4',
      HANDLED_KEY: handledKey,
      BLOCK_AT: '6',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode}): ${output}`);
      return (await t.redis.exists(`${handledKey}:blocked`)) === 1;
    },
    { timeoutMs: 20_000, description: `the child consumer hangs on n = 6; output: ${output}` },
  );
  expect((await t.redis.sMembers(handledKey)).map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  expect(await t.redis.get(`${handledKey}:blocked`)).toBe(entryIds[5]);
  // The second batch (n = 5..8) is pending on the child, once each.
  expect(await pendingEntries(t.redis, publisher.stream, 'workers')).toEqual(
    entryIds.slice(4, 8).map((id) => ({ id, consumer: consumerName, deliveries: 1 })),
  );

  child.kill('SIGKILL');
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
  return { service, stream: publisher.stream, handledKey, entryIds };
}

describe('crash recovery', () => {
  it('entries pending on a SIGKILLed consumer are reclaimed by another instance after claimIdleMs', async () => {
    const total = 12;
    const crashed = await crashAConsumer('doomed-1', total);
    const placed = orderPlaced(crashed.service);
    const handled: Array<{ n: number; deliveryCount: number }> = [];
    const reports: ConsumerReport[] = [];
    const rescuer = t.track(
      createConsumer({
        redis: t.redis,
        stream: crashed.stream,
        group: 'workers',
        consumer: 'rescuer-1',
        batchSize: 4,
        blockMs: 100,
        claimIdleMs: 200,
        backoffBaseMs: 10,
        backoffMaxMs: 50,
        onReport: (report) => reports.push(report),
      }).on(placed, async (event, context) => {
        handled.push({ n: event.data.n, deliveryCount: context.deliveryCount });
        await t.redis.sAdd(crashed.handledKey, String(event.data.n));
      }),
    );
    await rescuer.start();

    await waitFor(async () => (await t.redis.sCard(crashed.handledKey)) === total, { timeoutMs: 15_000, description: 'every event handled' });
    await waitFor(async () => (await pendingCount(t.redis, crashed.stream, 'workers')) === 0, { description: 'nothing pending' });
    expect((await t.redis.sMembers(crashed.handledKey)).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // 9..12 were never delivered: read fresh. 5..8 were reclaimed from the dead consumer: second delivery.
    const byN = new Map(handled.map((item) => [item.n, item.deliveryCount]));
    for (let n = 9; n <= total; n++) expect(byN.get(n)).toBe(1);
    for (let n = 5; n <= 8; n++) expect(byN.get(n)).toBe(2);
    // 1..4 were acked by the child and not handled again.
    for (let n = 1; n <= 4; n++) expect(byN.has(n)).toBe(false);
    expect(reports.some((report) => report.kind === 'claimed')).toBe(true);
    expect(reports.filter((report) => report.kind === 'dead-lettered')).toEqual([]);
  });

  it('a restarted instance (same consumer name) finishes its own pending entries first, without waiting for claimIdleMs', async () => {
    const total = 12;
    const crashed = await crashAConsumer('worker-1', total);
    const placed = orderPlaced(crashed.service);
    // More events arrive while the instance is down.
    const publisher = createPublisher({ redis: t.redis, service: crashed.service });
    for (let n = total + 1; n <= total + 3; n++) await publisher.publish(placed, { n, orderId: `o-${n}` });

    const handled: Array<{ n: number; deliveryCount: number }> = [];
    const restarted = t.track(
      createConsumer({
        redis: t.redis,
        stream: crashed.stream,
        group: 'workers',
        consumer: 'worker-1',
        batchSize: 4,
        blockMs: 100,
        claimIdleMs: 3_600_000, // no reclaiming: only the restart's own drain can pick up 5..8
      }).on(placed, async (event, context) => {
        handled.push({ n: event.data.n, deliveryCount: context.deliveryCount });
        await t.redis.sAdd(crashed.handledKey, String(event.data.n));
      }),
    );
    await restarted.start();

    await waitFor(async () => (await t.redis.sCard(crashed.handledKey)) === total + 3, { timeoutMs: 15_000, description: 'every event handled' });
    await waitFor(async () => (await pendingCount(t.redis, crashed.stream, 'workers')) === 0, { description: 'nothing pending' });
    expect(handled).toEqual([
      ...[5, 6, 7, 8].map((n) => ({ n, deliveryCount: 2 })),
      ...Array.from({ length: total + 3 - 8 }, (_, i) => ({ n: 9 + i, deliveryCount: 1 })),
    ]);
  });

  it('an XACK lost after the handler ran (here refused by the server): the live consumer acks it again, without handling it again or waiting for claimIdleMs', async () => {
    const service = uniqueService('shop');
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis: t.redis, service });
    // Its own user, so that XACK can be taken from this consumer alone (ACL applies to live connections at once).
    const user = `worker-${randomBytes(3).toString('hex')}`;
    await t.redis.sendCommand(['ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all']);
    const url = new URL(t.server.url);
    url.username = user;
    url.password = 'secret';
    const workerRedis = await connectRedis(url.toString());
    const handled: Array<{ n: number; deliveryCount: number }> = [];
    const reports: ConsumerReport[] = [];
    const consumer = createConsumer({
      redis: workerRedis,
      stream: publisher.stream,
      group: 'workers',
      consumer: 'worker-1',
      batchSize: 4,
      blockMs: 100,
      claimIdleMs: 3_600_000, // no reclaiming: only the consumer's own retry of the XACK can settle the entry
      onReport: (report) => reports.push(report),
    }).on(placed, async (event, context) => {
      handled.push({ n: event.data.n, deliveryCount: context.deliveryCount });
      if (handled.length === 1) await t.redis.sendCommand(['ACL', 'SETUSER', user, '-xack']);
    });
    try {
      await consumer.start();
      await publisher.publish(placed, { n: 1, orderId: 'o-1' });
      await waitFor(() => reports.some((report) => report.kind === 'loop-error'), { description: 'the refused XACK reported' });
      expect(await pendingCount(t.redis, publisher.stream, 'workers')).toBe(1);

      await t.redis.sendCommand(['ACL', 'SETUSER', user, '+xack']);
      await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'workers')) === 0, { timeoutMs: 10_000, description: 'the entry acked' });
      await publisher.publish(placed, { n: 2, orderId: 'o-2' });
      await waitFor(() => handled.some((item) => item.n === 2), { description: 'a new event after it' });
      await waitFor(async () => (await pendingCount(t.redis, publisher.stream, 'workers')) === 0, { description: 'the new one acked too' });
      expect(handled).toEqual([{ n: 1, deliveryCount: 1 }, { n: 2, deliveryCount: 1 }]);
    } finally {
      await consumer.close();
      await workerRedis.close();
    }
  });
});
