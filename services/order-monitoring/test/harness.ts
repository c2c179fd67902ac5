import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, createPublisher, groupsOf, streamKeys, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { flushRedis, type RedisServer, startRedisServer, waitFor } from 'tributary/testing';
import { startOrderMonitoring, type ConsumerTuning } from '../src/app.ts';
import { SERVICE } from '../src/store/keys.ts';

type Running = Awaited<ReturnType<typeof startOrderMonitoring>>;

export interface MonitoringTestEnv {
  /** Streams only. */
  bus: RedisClient;
  /** The read model only: a different server, so nothing can depend on the bus and the store being one. */
  store: RedisClient;
  ordering: Publisher;
  /** The instance started for the current test (flushed servers, fresh group). */
  service: Running;
  /** Closes the instance and starts another (same servers, same group) with this consumer tuning and marker TTL. */
  restart(consumer?: ConsumerTuning, handledTtlSeconds?: number): Promise<void>;
  /** Waits until the group has read and acked everything up to `entryId`. */
  handledUpTo(entryId: string): Promise<void>;
}

export function useOrderMonitoring(): MonitoringTestEnv {
  const servers: RedisServer[] = [];
  const env = {} as MonitoringTestEnv;

  beforeAll(async () => {
    servers.push(...(await Promise.all([startRedisServer(), startRedisServer()])));
    env.bus = await connectRedis((servers[0] as RedisServer).url);
    env.store = await connectRedis((servers[1] as RedisServer).url);
    env.ordering = createPublisher({ redis: env.bus, service: 'ordering' });
  });
  const start = (consumer: ConsumerTuning = {}, handledTtlSeconds?: number) =>
    startOrderMonitoring({
      ...(handledTtlSeconds === undefined ? {} : { handledTtlSeconds }),
      bus: env.bus,
      store: env.store,
      logger: createLogger(SERVICE, process.env.TEST_LOG ?? 'silent'),
      instance: `order-monitoring-test-${randomBytes(3).toString('hex')}`,
      consumer: { blockMs: 200, ...consumer },
    });
  beforeEach(async () => {
    await Promise.all([flushRedis(env.bus), flushRedis(env.store)]);
    env.service = await start();
  });
  afterEach(async () => {
    await env.service.close();
  });
  afterAll(async () => {
    await Promise.all([env.bus?.close(), env.store?.close()]);
    await Promise.all(servers.map((server) => server.stop()));
  });

  env.restart = async (consumer, handledTtlSeconds) => {
    await env.service.close();
    env.service = await start(consumer, handledTtlSeconds);
  };

  env.handledUpTo = async (entryId) => {
    await waitFor(async () => {
      const group = (await groupsOf(env.bus, streamKeys.events('ordering'))).find((candidate) => candidate.name === SERVICE);
      return group?.lastDeliveredId === entryId && group.pending === 0;
    }, { description: `order-monitoring handled ${entryId}` });
  };

  return env;
}
