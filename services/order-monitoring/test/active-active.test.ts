import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createPublisher, groupsOf, streamKeys, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { startRedisServer, waitFor, type RedisServer } from 'tributary/testing';
import { OrderBlocked, OrderCompleted, OrderPlaced } from '@tributary/contracts';
import { startOrderMonitoring } from '../src/app.ts';
import { parseRegionsEnv } from '../src/regions-setting.ts';
import { SERVICE } from '../src/store/keys.ts';

type Running = Awaited<ReturnType<typeof startOrderMonitoring>>;

/**
 * Two regions, each a whole stack of its own (Figure 4-1): its own bus, its
 * own store, its own order-monitoring. Orders are placed in either region;
 * the leaderboards and failure counts of both regions converge to the sum.
 */
interface RegionUnderTest {
  name: string;
  bus: RedisClient;
  store: RedisClient;
  ordering: Publisher;
  service: Running;
}

const servers: RedisServer[] = [];
const regions: RegionUnderTest[] = [];
/** The handled-marker retention both regions run with (HANDLED_MARKER_RETENTION_MS in seconds). */
const HANDLED_TTL_SECONDS = 600;

beforeAll(async () => {
  servers.push(...(await Promise.all(Array.from({ length: 4 }, () => startRedisServer()))));
  const clients = await Promise.all(servers.map((server) => connectRedis(server.url)));
  const [busEu, storeEu, busUs, storeUs] = clients as [RedisClient, RedisClient, RedisClient, RedisClient];
  const start = (name: string, bus: RedisClient, store: RedisClient, peer: { region: string; redis: RedisClient }) =>
    startOrderMonitoring({ bus, store, logger: createLogger(SERVICE, process.env.TEST_LOG ?? 'silent'), instance: `om-${name}`, consumer: { blockMs: 200 }, handledTtlSeconds: HANDLED_TTL_SECONDS, regions: { region: name, peers: [peer] } });
  regions.push(
    { name: 'eu', bus: busEu, store: storeEu, ordering: createPublisher({ redis: busEu, service: 'ordering' }), service: await start('eu', busEu, storeEu, { region: 'us', redis: storeUs }) },
    { name: 'us', bus: busUs, store: storeUs, ordering: createPublisher({ redis: busUs, service: 'ordering' }), service: await start('us', busUs, storeUs, { region: 'eu', redis: storeEu }) },
  );
});

afterAll(async () => {
  for (const region of regions) await region.service.close();
  await Promise.all(regions.flatMap((region) => [region.bus.close(), region.store.close()]));
  await Promise.all(servers.map((server) => server.stop()));
});

async function handled(region: RegionUnderTest, entryId: string): Promise<void> {
  await waitFor(async () => {
    const group = (await groupsOf(region.bus, streamKeys.events('ordering'))).find((candidate) => candidate.name === SERVICE);
    return group?.lastDeliveredId === entryId && group.pending === 0;
  }, { description: `${region.name} handled ${entryId}` });
}

async function get<T>(region: RegionUnderTest, url: string): Promise<T> {
  const reply = await region.service.app.inject({ method: 'GET', url });
  expect(reply.statusCode).toBe(200);
  return reply.json<T>();
}

describe('order-monitoring Active/Active across two regions', () => {
  it('ranks and counts the orders of both regions in each, once each, redeliveries included', async () => {
    const [eu, us] = regions as [RegionUnderTest, RegionUnderTest];
    const tea = randomUUID();
    const haggis = randomUUID();
    const sell = (region: RegionUnderTest, userId: string, productId: string, quantity: number) => {
      const orderId = randomUUID();
      const items = [{ productId, quantity, unitPriceCents: 100 }];
      return [
        region.ordering.envelope(OrderPlaced, { orderId, userId, items, totalCents: quantity * 100 }),
        region.ordering.envelope(OrderCompleted, { orderId, userId, totalCents: quantity * 100 }),
      ];
    };
    const euEvents = [...sell(eu, 'ada', tea, 3), ...sell(eu, 'bob', haggis, 1), eu.ordering.envelope(OrderBlocked, { orderId: randomUUID(), userId: 'bob', reason: 'FAILED_PAYMENT_NO_FUNDS' })];
    const usEvents = [...sell(us, 'cy', tea, 2), ...sell(us, 'cy', haggis, 5), us.ordering.envelope(OrderBlocked, { orderId: randomUUID(), userId: 'cy', reason: 'FAILED_PAYMENT_NO_FUNDS' })];
    await eu.ordering.publishEnvelopes(euEvents);
    // A redelivery in us: the same events again.
    await us.ordering.publishEnvelopes(usEvents);
    const lastUs = await us.ordering.publishEnvelopes(usEvents);
    const lastEu = await eu.ordering.publishEnvelopes([euEvents[1] as (typeof euEvents)[number]]);
    await handled(eu, lastEu.at(-1) as string);
    await handled(us, lastUs.at(-1) as string);

    const expectedSellers = [
      { member: haggis, score: 6, rank: 1 },
      { member: tea, score: 5, rank: 2 },
    ];
    for (const region of [eu, us]) {
      await waitFor(async () => JSON.stringify((await get<{ items: unknown[] }>(region, '/leaderboards/best-sellers')).items) === JSON.stringify(expectedSellers), {
        description: `${region.name} best-sellers converged`,
      });
      expect((await get<{ items: unknown[] }>(region, '/leaderboards/top-spenders')).items).toEqual([
        { member: 'cy', score: 700, rank: 1 },
        { member: 'ada', score: 300, rank: 2 },
        { member: 'bob', score: 100, rank: 3 },
      ]);
      expect(await get(region, '/leaderboards/top-spenders/members/bob')).toEqual({ member: 'bob', score: 100, rank: 3 });
      const failures = await get<{ counts: Record<string, number>; total: number; recent: unknown[] }>(region, '/order-failures');
      expect([failures.counts.FAILED_PAYMENT_NO_FUNDS, failures.total]).toEqual([2, 2]);
      // The recent list is the region's own: a list is no CRDT.
      expect(failures.recent).toHaveLength(1);
      const status = await get<{ region: string; replication: Array<{ source: string; pending: number }> }>(region, '/regions');
      expect(status.region).toBe(region.name);
      const other = region === eu ? 'us' : 'eu';
      expect(status.replication).toMatchObject([{ source: other, target: region.name, pending: 0 }, { source: region.name, target: other, pending: 0 }]);
    }
  });

  it('remembers the operation ids of what it counted for the handled-marker retention it was given', async () => {
    const [eu] = regions as [RegionUnderTest, RegionUnderTest];
    const orderId = randomUUID();
    await handled(eu, (await eu.ordering.publishEnvelopes([eu.ordering.envelope(OrderCompleted, { orderId, userId: 'dee', totalCents: 100 })]))[0] as string);
    const markers = await eu.store.keys('order-monitoring:aa*:op:*');
    expect(markers.length).toBeGreaterThan(0);
    for (const marker of markers) {
      const ttl = await eu.store.ttl(marker);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(HANDLED_TTL_SECONDS);
    }
  });

  it('equal scores rank by member ascending, as on a single-region board', async () => {
    const [eu, us] = regions as [RegionUnderTest, RegionUnderTest];
    const events = ['zed', 'amy', 'kim'].flatMap((userId, i) => {
      const region = i % 2 === 0 ? eu : us;
      const orderId = randomUUID();
      return [{ region, event: region.ordering.envelope(OrderCompleted, { orderId, userId, totalCents: 1_000_000 }) }];
    });
    for (const { region, event } of events) await handled(region, (await region.ordering.publishEnvelopes([event]))[0] as string);
    for (const region of [eu, us]) {
      await waitFor(async () => (await get<{ items: Array<{ member: string }> }>(region, '/leaderboards/top-spenders?limit=2')).items.map((entry) => entry.member).join() === 'amy,kim', {
        description: `${region.name} ties by member ascending`,
      });
      expect(await get(region, '/leaderboards/top-spenders/members/zed')).toEqual({ member: 'zed', score: 1_000_000, rank: 3 });
    }
  });

  it('reads its setting from the environment, and refuses half of one', () => {
    expect(parseRegionsEnv({})).toBeNull();
    expect(parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu', ORDER_MONITORING_PEERS: 'us=redis://10.0.0.2:6379,ap=rediss://ap.example:6380' })).toEqual({
      region: 'eu',
      peers: [{ region: 'us', url: 'redis://10.0.0.2:6379' }, { region: 'ap', url: 'rediss://ap.example:6380' }],
    });
    // A failed-over instance: one more writer of eu, replicating nothing itself.
    expect(parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu', ORDER_MONITORING_PEERS: 'none' })).toEqual({ region: 'eu', peers: [] });
    expect(() => parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu' })).toThrow(/go together/);
    expect(() => parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu', ORDER_MONITORING_PEERS: 'eu=redis://x' })).toThrow(/own region/);
    expect(() => parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu', ORDER_MONITORING_PEERS: 'us=http://x' })).toThrow(/redis:\/\//);
    expect(() => parseRegionsEnv({ ORDER_MONITORING_REGION: 'eu', ORDER_MONITORING_PEERS: 'us=redis://a,us=redis://b' })).toThrow(/twice/);
  });
});
