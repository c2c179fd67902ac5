import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, listDeadLetters } from 'tributary';
import { FAILURE_REASONS, OrderAwaitingShipment, OrderBlocked, OrderCompleted, OrderFailed, OrderPlaced, OrderRefundRequested } from '@tributary/contracts';
import { adoptLegacyRecentFailures } from '../src/store/failure-store.ts';
import { monitoringKeys, SERVICE } from '../src/store/keys.ts';
import { useOrderMonitoring } from './harness.ts';

interface Report {
  counts: Record<string, number>;
  total: number;
  recent: Array<{ orderId: string; reason: string; at: string }>;
}

const t = useOrderMonitoring();

const ids = () => ({ orderId: randomUUID(), userId: randomUUID() });

async function report(): Promise<Report> {
  const reply = await t.service.app.inject({ method: 'GET', url: '/order-failures' });
  expect(reply.statusCode).toBe(200);
  return reply.json<Report>();
}

const handledUpTo = (entryId: string) => t.handledUpTo(entryId);

describe('GET /order-failures', () => {
  it('is all zeros before any failure, with every reason listed', async () => {
    expect(await report()).toEqual({ counts: Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, 0])), total: 0, recent: [] });
  });

  it('counts OrderBlocked and OrderFailed by reason and lists the latest first', async () => {
    const events = [
      t.ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' }),
      t.ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' }),
      t.ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_UNKNOWN_USER' }),
      t.ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }),
    ];
    const entryIds = await t.ordering.publishEnvelopes(events);
    await handledUpTo(entryIds[entryIds.length - 1] as string);

    expect(await report()).toEqual({
      counts: {
        FAILED_PAYMENT_NO_FUNDS: 2,
        FAILED_PAYMENT_UNKNOWN_USER: 1,
        SHIPMENT_FAILED_BANNED_PRODUCT: 1,
        SHIPMENT_FAILED_OUT_OF_STOCK: 0,
        FAILED_STUCK_RESOLVED_BY_OPERATOR: 0,
      },
      total: 4,
      recent: [...events].reverse().map((event) => ({ orderId: event.data.orderId, reason: event.data.reason, at: event.time })),
    });
  });

  it('a redelivered event is counted once', async () => {
    const blocked = t.ordering.envelope(OrderBlocked, { ...ids(), reason: 'FAILED_PAYMENT_NO_FUNDS' });
    const failed = t.ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    await t.ordering.publishEnvelopes([blocked, failed]);
    const entryIds = await t.ordering.publishEnvelopes([blocked, failed]);
    await handledUpTo(entryIds[1] as string);

    const { counts, total, recent } = await report();
    expect(counts).toMatchObject({ FAILED_PAYMENT_NO_FUNDS: 1, SHIPMENT_FAILED_OUT_OF_STOCK: 1 });
    expect(total).toBe(2);
    expect(recent.map((entry) => entry.orderId)).toEqual([failed.data.orderId, blocked.data.orderId]);
  });

  it('ignores the other ordering events', async () => {
    const { orderId, userId } = ids();
    const entryIds = await t.ordering.publishEnvelopes([
      t.ordering.envelope(OrderPlaced, { orderId, userId, items: [{ productId: randomUUID(), quantity: 1, unitPriceCents: 100 }], totalCents: 100 }),
      t.ordering.envelope(OrderAwaitingShipment, { orderId, userId, country: 'US', items: [{ productId: randomUUID(), quantity: 1 }] }),
      // AWAITING_REFUND is not terminal: the order is counted when it fails for good.
      t.ordering.envelope(OrderRefundRequested, { orderId, userId, reason: 'SHIPMENT_FAILED_BANNED_PRODUCT' }),
      t.ordering.envelope(OrderCompleted, { orderId: randomUUID(), userId, totalCents: 100 }),
    ]);
    await handledUpTo(entryIds[entryIds.length - 1] as string);
    expect((await report()).total).toBe(0);
  });

  it(`keeps only the latest ${100} failures in the recent list, but counts them all`, async () => {
    const events = Array.from({ length: 105 }, () => t.ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' }));
    const entryIds = await t.ordering.publishEnvelopes(events);
    await handledUpTo(entryIds[entryIds.length - 1] as string);
    const { counts, total, recent } = await report();
    expect(counts.SHIPMENT_FAILED_OUT_OF_STOCK).toBe(105);
    expect(total).toBe(105);
    expect(recent).toHaveLength(100);
    expect(recent[0]?.orderId).toBe(events[104]?.data.orderId);
    expect(recent[99]?.orderId).toBe(events[5]?.data.orderId);
  });

  it('a schema-invalid failure goes to the dead-letter stream and is not counted', async () => {
    const valid = t.ordering.envelope(OrderFailed, { ...ids(), reason: 'SHIPMENT_FAILED_OUT_OF_STOCK' });
    const invalid = { ...valid, id: randomUUID(), data: { ...valid.data, reason: 'GREMLINS' } };
    const entryId = await t.bus.sendCommand<string>(['XADD', OrderFailed.stream, '*', ...Object.entries(encodeEnvelope(invalid)).flat()]);
    await handledUpTo(entryId);
    const letters = await listDeadLetters(t.bus, OrderFailed.stream);
    expect(letters.map((letter) => [letter.group, letter.handler])).toEqual([[SERVICE, 'OrderFailed']]);
    expect((await report()).total).toBe(0);
  });
});

describe('the recent failures under their name from before Cluster support', () => {
  it('move to the new key once at start, and a second start finds nothing to move', async () => {
    const entry = JSON.stringify({ orderId: randomUUID(), reason: 'FAILED_PAYMENT_NO_FUNDS', at: new Date(0).toISOString() });
    await t.store.sendCommand(['RPUSH', monitoringKeys.legacyRecentFailures(), entry]);
    expect(await adoptLegacyRecentFailures(t.store)).toBe(1);
    expect(await adoptLegacyRecentFailures(t.store)).toBe(0);
    expect(await t.store.sendCommand(['EXISTS', monitoringKeys.legacyRecentFailures()])).toBe(0);
    expect((await report()).recent.map((failure) => JSON.stringify(failure))).toEqual([entry]);
  });
});
