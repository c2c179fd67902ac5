import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis, createPublisher, encodeEnvelope, groupsOf, listDeadLetters, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { waitFor, type RedisServer } from 'tributary/testing';
import { FAILURE_REASONS, OrderAwaitingShipment, OrderBlocked, OrderCompleted, OrderFailed, OrderPlaced, OrderRefundRequested } from '@tributary/contracts';
import { startOrderMonitoring } from '../src/app.ts';
import { SERVICE } from '../src/store/keys.ts';
import { startPrivateRedis } from './private-redis.ts';

type Running = Awaited<ReturnType<typeof startOrderMonitoring>>;
interface Report {
  counts: Record<string, number>;
  total: number;
  recent: Array<{ orderId: string; reason: string; at: string }>;
}

const servers: RedisServer[] = [];
let bus: RedisClient;
let store: RedisClient;
let ordering: Publisher;
let service: Running;

beforeAll(async () => {
  // Two servers, so nothing can depend on the bus and the store being one.
  const [busServer, storeServer] = await Promise.all([startPrivateRedis(), startPrivateRedis()]);
  servers.push(busServer.server, storeServer.server);
  bus = await connectRedis(busServer.url);
  store = await connectRedis(storeServer.url);
  ordering = createPublisher({ redis: bus, service: 'ordering' });
});
beforeEach(async () => {
  await Promise.all([bus.sendCommand(['FLUSHALL']), store.sendCommand(['FLUSHALL'])]);
  service = await startOrderMonitoring({
    bus,
    store,
    logger: createLogger(SERVICE, process.env.TEST_LOG ?? 'silent'),
    instance: `order-monitoring-test-${randomBytes(3).toString('hex')}`,
    consumer: { blockMs: 200 },
  });
});
afterEach(async () => {
  await service.close();
});
afterAll(async () => {
  await Promise.all([bus.close(), store.close()]);
  await Promise.all(servers.map((server) => server.stop()));
});

const ids = () => ({ orderId: randomUUID(), userId: randomUUID() });

async function report(): Promise<Report> {
  const reply = await service.app.inject({ method: 'GET', url: '/order-failures' });
  expect(reply.statusCode).toBe(200);
  return reply.json<Report>();
}

/** Waits until the group has read and acked everything up to `entryId`. */
async function handledUpTo(entryId: string) {
  await waitFor(async () => {
    const group = (await groupsOf(bus, OrderBlocked.stream)).find((candidate) => candidate.name === SERVICE);
    return group?.lastDeliveredId === entryId && group.pending === 0;
  }, { description: `order-monitoring handled ${entryId}` });
}

describe('GET /order-failures', () => {
  it('is all zeros before any failure, with every reason listed', async () => {
    expect(await report()).toEqual({ counts: Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, 0])), total: 0, recent: [] });
  });

  it('counts OrderBlocked and OrderFailed by reason and lists the latest first', async () => {
    const events = [
      ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' }),
      ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' }),
      ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_UNKNOWN_USER' }),
      ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }),
    ];
    const entryIds = await ordering.publishEnvelopes(events);
    await handledUpTo(entryIds[entryIds.length - 1] as string);

    expect(await report()).toEqual({
      counts: {
        FAILED_PAYMENT_NO_FUNDS: 2,
        FAILED_PAYMENT_UNKNOWN_USER: 1,
        SHIPMENT_FAILED_BANNED_PRODUCT: 1,
        SHIPMENT_FAILED_OUT_OF_STOCK: 0,
      },
      total: 4,
      recent: [...events].reverse().map((event) => ({ orderId: event.data.orderId, reason: event.data.reason, at: event.time })),
    });
  });

  it('a redelivered event is counted once', async () => {
    const blocked = ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' });
    const failed = ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    await ordering.publishEnvelopes([blocked, failed]);
    const entryIds = await ordering.publishEnvelopes([blocked, failed]);
    await handledUpTo(entryIds[1] as string);

    const { counts, total, recent } = await report();
    expect(counts).toMatchObject({ FAILED_PAYMENT_NO_FUNDS: 1, SHIPMENT_FAILED_OUT_OF_STOCK: 1 });
    expect(total).toBe(2);
    expect(recent.map((entry) => entry.orderId)).toEqual([failed.data.orderId, blocked.data.orderId]);
  });

  it('ignores the other ordering events', async () => {
    const { orderId, userId } = ids();
    const entryIds = await ordering.publishEnvelopes([
      ordering.envelope(OrderPlaced, { orderId, userId, items: [{ productId: randomUUID(), quantity: 1, unitPriceCents: 100 }], totalCents: 100 }),
      ordering.envelope(OrderAwaitingShipment, { orderId, userId, country: 'US', items: [{ productId: randomUUID(), quantity: 1 }] }),
      // AWAITING_REFUND is not terminal: the order is counted when it fails for good.
      ordering.envelope(OrderRefundRequested, { orderId, userId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }),
      ordering.envelope(OrderCompleted, { orderId: randomUUID(), userId, totalCents: 100 }),
    ]);
    await handledUpTo(entryIds[entryIds.length - 1] as string);
    expect((await report()).total).toBe(0);
  });

  it(`keeps only the latest ${100} failures in the recent list, but counts them all`, async () => {
    const events = Array.from({ length: 105 }, () => ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' }));
    const entryIds = await ordering.publishEnvelopes(events);
    await handledUpTo(entryIds[entryIds.length - 1] as string);
    const { counts, total, recent } = await report();
    expect(counts.SHIPMENT_FAILED_OUT_OF_STOCK).toBe(105);
    expect(total).toBe(105);
    expect(recent).toHaveLength(100);
    expect(recent[0]?.orderId).toBe(events[104]?.data.orderId);
    expect(recent[99]?.orderId).toBe(events[5]?.data.orderId);
  });

  it('a schema-invalid failure goes to the dead-letter stream and is not counted', async () => {
    const valid = ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    const invalid = { ...valid, id: randomUUID(), data: { ...valid.data, reason: 'GREMLINS' } };
    const entryId = await bus.sendCommand<string>(['XADD', OrderFailed.stream, '*', ...Object.entries(encodeEnvelope(invalid)).flat()]);
    await handledUpTo(entryId);
    const letters = await listDeadLetters(bus, OrderFailed.stream);
    expect(letters.map((letter) => [letter.group, letter.handler])).toEqual([[SERVICE, 'OrderFailed']]);
    expect((await report()).total).toBe(0);
  });
});
