import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { askRedis } from '../testing/redis-sentinel.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createPublisher } from './publisher.ts';
import { orderPlaced } from './test-fixtures/harness-events.ts';

describe('a connection made with waitForReplicas (BUS_REDIS_WAIT_REPLICAS)', () => {
  let primary: RedisServer;
  let replica: RedisServer | undefined;
  const clients: RedisClient[] = [];
  beforeAll(async () => {
    primary = await startRedisServer();
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await replica?.stop();
    await primary.stop();
  });

  it('makes every publisher on it wait for the replicas, unless the publisher says otherwise', async () => {
    const redis = await connectRedis(primary.url, { waitForReplicas: { count: 1, timeoutMs: 200 } });
    clients.push(redis);
    const placed = orderPlaced('replicated-shop');
    // No replica yet: written, but not confirmed, and the caller is told so.
    await expect(createPublisher({ redis, service: 'replicated-shop' }).publish(placed, { n: 1, orderId: 'o-1' })).rejects.toMatchObject({ code: 'TRIB_NOT_REPLICATED' });
    // A publisher that asks for nothing does not wait.
    await expect(createPublisher({ redis, service: 'replicated-shop', waitForReplicas: { count: 0, timeoutMs: 0 } }).publish(placed, { n: 2, orderId: 'o-2' })).resolves.toMatch(/^\d+-\d+$/);

    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    await waitFor(async () => /master_link_status:up/.test(String(await askRedis(replica!.port, ['INFO', 'replication']))), { timeoutMs: 15_000, description: 'replica in sync' });
    // With a replica, the same wait is met; given time to be met on a loaded machine (a replica's ack can take longer than 200 ms there).
    const patient = await connectRedis(primary.url, { waitForReplicas: { count: 1, timeoutMs: 10_000 } });
    clients.push(patient);
    await expect(createPublisher({ redis: patient, service: 'replicated-shop' }).publish(placed, { n: 3, orderId: 'o-3' })).resolves.toMatch(/^\d+-\d+$/);
    expect(Number(await askRedis(replica.port, ['XLEN', 'replicated-shop:events']))).toBe(3);
  });
});
