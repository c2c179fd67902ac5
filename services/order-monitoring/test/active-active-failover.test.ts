import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createPublisher, groupsOf, streamKeys, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { startRedisServer, waitFor, type RedisServer } from 'tributary/testing';
import { OrderCompleted } from '@tributary/contracts';
import { startOrderMonitoring, type OrderMonitoringDeps } from '../src/app.ts';
import { SERVICE } from '../src/store/keys.ts';

type Running = Awaited<ReturnType<typeof startOrderMonitoring>>;

/**
 * The book's Figure 4-2: region us's Redis goes down, us's services are
 * pointed at region eu's Redis and go on; us's Redis comes back (from its
 * AOF), us's services return to it, and both regions resynchronise.
 */
let busEu: RedisServer, storeEu: RedisServer, busUs: RedisServer, storeUs: RedisServer;
const clients: RedisClient[] = [];
const running: Running[] = [];
/** Killed servers whose data directory a restarted one uses: stopped last, which removes the directory. */
const replaced: RedisServer[] = [];

beforeAll(async () => {
  [busEu, storeEu, busUs, storeUs] = await Promise.all([startRedisServer(), startRedisServer({ appendOnly: true }), startRedisServer(), startRedisServer({ appendOnly: true })]);
});

afterAll(async () => {
  for (const service of running) await service.close();
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all([busEu, storeEu, busUs, storeUs].map((server) => server.stop()));
  await Promise.all(replaced.map((server) => server.stop()));
});

async function connect(server: RedisServer): Promise<RedisClient> {
  const client = await connectRedis(server.url);
  clients.push(client);
  return client;
}

async function start(name: string, deps: Pick<OrderMonitoringDeps, 'bus' | 'store' | 'regions'>): Promise<Running> {
  const service = await startOrderMonitoring({ ...deps, logger: createLogger(SERVICE, process.env.TEST_LOG ?? 'silent'), instance: `om-${name}`, consumer: { blockMs: 200 } });
  running.push(service);
  return service;
}

async function stop(service: Running): Promise<void> {
  running.splice(running.indexOf(service), 1);
  await service.close();
}

async function spend(bus: RedisClient, ordering: Publisher, userId: string, totalCents: number): Promise<void> {
  const entryId = (await ordering.publishEnvelopes([ordering.envelope(OrderCompleted, { orderId: randomUUID(), userId, totalCents })]))[0] as string;
  await waitFor(async () => {
    const group = (await groupsOf(bus, streamKeys.events('ordering'))).find((candidate) => candidate.name === SERVICE);
    return group?.lastDeliveredId === entryId && group.pending === 0;
  }, { description: `handled ${entryId}` });
}

async function spenders(service: Running): Promise<string> {
  const reply = await service.app.inject({ method: 'GET', url: '/leaderboards/top-spenders' });
  return reply.json<{ items: Array<{ member: string; score: number }> }>().items.map((entry) => `${entry.member}:${entry.score}`).join(' ');
}

describe('order-monitoring Active/Active failover (Figure 4-2)', () => {
  it('a region whose Redis is down is served by the other, then returns and resynchronises', async () => {
    const [euBus, euStore, usBus, usStore] = await Promise.all([connect(busEu), connect(storeEu), connect(busUs), connect(storeUs)]);
    const euOrdering = createPublisher({ redis: euBus, service: 'ordering' });
    const usOrdering = createPublisher({ redis: usBus, service: 'ordering' });
    const eu = await start('eu', { bus: euBus, store: euStore, regions: { region: 'eu', peers: [{ region: 'us', redis: usStore }] } });
    let us = await start('us', { bus: usBus, store: usStore, regions: { region: 'us', peers: [{ region: 'eu', redis: euStore }] } });
    await spend(euBus, euOrdering, 'ada', 100);
    await spend(usBus, usOrdering, 'bob', 200);
    await waitFor(async () => (await spenders(us)) === 'bob:200 ada:100' && (await spenders(eu)) === 'bob:200 ada:100', { description: 'both regions converged' });

    // us goes down: its services stop, then its Redis.
    await stop(us);
    await storeUs.kill();
    // us's services come back pointed at eu's Redis: to it they are one more writer of region eu.
    const failover = await start('us-on-eu', { bus: usBus, store: euStore, regions: { region: 'eu', peers: [] } });
    await spend(usBus, usOrdering, 'bob', 50);
    await spend(euBus, euOrdering, 'cy', 400);
    expect(await spenders(eu)).toBe('cy:400 bob:250 ada:100');

    // us's Redis returns from its AOF, us's services go home, and each region catches up with the other.
    replaced.push(storeUs);
    storeUs = await storeUs.restart();
    await stop(failover);
    us = await start('us', { bus: usBus, store: usStore, regions: { region: 'us', peers: [{ region: 'eu', redis: euStore }] } });
    await spend(usBus, usOrdering, 'ada', 1000);
    for (const service of [eu, us]) {
      await waitFor(async () => (await spenders(service)) === 'ada:1100 cy:400 bob:250', { description: 'resynchronised', timeoutMs: 30_000 });
    }
  });
});
