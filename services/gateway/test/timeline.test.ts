import { describe, expect, it } from 'vitest';
import {
  LendingRequested,
  LENDING_REQUESTS_STREAM,
  OrderCompleted,
  OrderPlaced,
  PAYMENTS_STREAM,
  PaymentReserved,
  ProductCreated,
  RequestAccepted,
  RequestRejected,
  ReturnProcessed,
  ReturnRequested,
} from '@tributary/contracts';
import { createPublisher, moveToDeadLetters } from 'tributary';
import { waitFor } from 'tributary/testing';
import { useGateway } from './harness.ts';

const t = useGateway();

const placed = { orderId: 'o-1', userId: 'u-1', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 100 }], totalCents: 100 };
const order = {
  id: 'o-1',
  userId: 'u-1',
  totalCents: 100,
  customerName: 'Ada',
  deliveryId: null,
  status: 'COMPLETED_SUCCESSFULLY',
  items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 100 }],
  failureReason: null,
  history: [
    { status: 'AWAITING_PAYMENT', at: '2024-01-01T00:00:00.000Z' },
    { status: 'COMPLETED_SUCCESSFULLY', at: '2024-01-01T00:00:01.000Z' },
  ],
  createdAt: '2024-01-01T00:00:00.000Z',
};

describe('GET /api/orders/:id/timeline', () => {
  function orderingKnowsO1() {
    t.stub('ordering', (call) =>
      call.path === '/orders/o-1' ? { status: 200, body: order } : { status: 404, body: { error: 'ORDER_NOT_FOUND', message: 'no such order' } },
    );
  }

  /**
   * Events of two streams written in the same millisecond have the same time and the same entry id
   * (`<ms>-0` on each): the timeline cannot tell their order, so the test does not ask it to.
   */
  async function laterMillisecond(): Promise<void> {
    const now = Date.now();
    await waitFor(() => Date.now() > now, { timeoutMs: 1_000, intervalMs: 1, description: 'the clock past this millisecond' });
  }

  it("lists every event of the order across streams in time order, with causes and the trace, next to ordering's history", async () => {
    orderingKnowsO1();
    const app = await t.start();
    const ordering = createPublisher({ redis: t.bus, service: 'ordering' });
    const payments = createPublisher({ redis: t.bus, service: 'accounts', stream: PAYMENTS_STREAM });
    const catalog = createPublisher({ redis: t.bus, service: 'catalog' });
    // As ordering does: the saga correlates by OrderPlaced's own event id; every event names the order in its data.
    const first = ordering.envelope(OrderPlaced, placed);
    const placedId = (await ordering.publishEnvelopes([first]))[0];
    await ordering.publish(OrderPlaced, { ...placed, orderId: 'o-2' }, { correlationId: 'o-2' });
    // Correlated by the order id itself, with no orderId in its data: also the order's.
    await laterMillisecond();
    const noted = await catalog.publish(ProductCreated, { productId: 'p-8', sku: 'S8', name: 'Tea', priceCents: 1, stock: 1, bannedCountries: [], digital: false }, { correlationId: 'o-1' });
    await catalog.publish(ProductCreated, { productId: 'p-9', sku: 'S', name: 'Tea', priceCents: 1, stock: 1, bannedCountries: [], digital: false });
    await laterMillisecond();
    const reserved = payments.envelope(PaymentReserved, { orderId: 'o-1', userId: 'u-1', amountCents: 100, country: 'GB' }, { causedBy: first });
    const reservedId = (await payments.publishEnvelopes([reserved]))[0];
    await laterMillisecond();
    const completedId = await ordering.publish(OrderCompleted, { orderId: 'o-1', userId: 'u-1', totalCents: 100 }, { causedBy: reserved });

    const response = await app.inject({ method: 'GET', url: '/api/orders/o-1/timeline' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const traceId = first.traceparent.slice(3, 35);
    expect(body).toMatchObject({ orderId: 'o-1', status: 'COMPLETED_SUCCESSFULLY', traceId, history: order.history, scanLimit: 10_000 });
    expect(body.steps).toEqual([
      { at: first.time, service: 'ordering', stream: 'ordering:events', entryId: placedId, type: 'OrderPlaced', eventId: first.id, causationId: null, traceId },
      expect.objectContaining({ entryId: noted, type: 'ProductCreated', service: 'catalog', stream: 'catalog:events' }),
      { at: reserved.time, service: 'accounts', stream: PAYMENTS_STREAM, entryId: reservedId, type: 'PaymentReserved', eventId: reserved.id, causationId: first.id, traceId },
      expect.objectContaining({ entryId: completedId, type: 'OrderCompleted', causationId: reserved.id, traceId }),
    ]);
  });

  it('searches back at most TIMELINE_SCAN_LIMIT entries per stream', async () => {
    orderingKnowsO1();
    const app = await t.start({ timelineScanLimit: 2 });
    const ordering = createPublisher({ redis: t.bus, service: 'ordering' });
    await ordering.publish(OrderPlaced, placed, { correlationId: 'o-1' });
    for (let i = 2; i <= 4; i++) await ordering.publish(OrderPlaced, { ...placed, orderId: `o-${i}` }, { correlationId: `o-${i}` });
    const body = (await app.inject({ method: 'GET', url: '/api/orders/o-1/timeline' })).json();
    expect(body).toMatchObject({ scanLimit: 2, steps: [], traceId: null });
  });

  it("answers ordering's 404 for an unknown order and 400 for a malformed id", async () => {
    orderingKnowsO1();
    const app = await t.start();
    const unknown = await app.inject({ method: 'GET', url: '/api/orders/o-404/timeline' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('ORDER_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/api/orders/a%20b/timeline' })).statusCode).toBe(400);
  });
});

describe('GET /api/lending/recent', () => {
  it('lists requests and returns newest first with their outcomes from the public streams', async () => {
    const app = await t.start();
    const requests = createPublisher({ redis: t.bus, service: 'lending', stream: LENDING_REQUESTS_STREAM });
    const lending = createPublisher({ redis: t.bus, service: 'lending' });
    const accepted = await requests.publish(LendingRequested, { userId: 'u-1', bookIds: ['b-1', 'b-2'] });
    const rejected = await requests.publish(LendingRequested, { userId: 'u-2', bookIds: ['b-1'] });
    const returned = await requests.publish(ReturnRequested, { userId: 'u-1', bookIds: ['b-1'] });
    const pending = await requests.publish(LendingRequested, { userId: 'u-3', bookIds: ['b-3'] });
    const broken = await requests.publish(LendingRequested, { userId: 'u-4', bookIds: ['b-4'] });
    await lending.publish(RequestAccepted, { requestId: accepted, userId: 'u-1', bookIds: ['b-1'], unavailableBookIds: ['b-2'] });
    await lending.publish(RequestRejected, { requestId: rejected, userId: 'u-2', bookIds: ['b-1'], reason: 'NONE_AVAILABLE' });
    await lending.publish(ReturnProcessed, { requestId: returned, userId: 'u-1', returnedBookIds: ['b-1'], refusedBookIds: [] });
    await moveToDeadLetters(t.bus, LENDING_REQUESTS_STREAM, { id: broken, fields: { type: 'LendingRequested' } }, { group: 'lending', consumer: 'c', handler: 'h', error: 'boom', attempts: 5 });

    const response = await app.inject({ method: 'GET', url: '/api/lending/recent' });
    expect(response.statusCode).toBe(200);
    const rows = response.json().requests;
    expect(rows.map((row: { requestId: string }) => row.requestId)).toEqual([broken, pending, returned, rejected, accepted]);
    expect(rows).toEqual([
      expect.objectContaining({ requestId: broken, kind: 'lend', status: 'DEAD_LETTERED', reason: 'boom', processedAt: expect.any(String) }),
      expect.objectContaining({ requestId: pending, kind: 'lend', userId: 'u-3', bookIds: ['b-3'], status: 'PENDING', reason: null, processedAt: null }),
      expect.objectContaining({ requestId: returned, kind: 'return', status: 'PROCESSED', reason: null }),
      expect.objectContaining({ requestId: rejected, kind: 'lend', status: 'REJECTED', reason: 'NONE_AVAILABLE' }),
      expect.objectContaining({ requestId: accepted, kind: 'lend', userId: 'u-1', bookIds: ['b-1', 'b-2'], status: 'ACCEPTED', at: expect.any(String) }),
    ]);

    const two = (await app.inject({ method: 'GET', url: '/api/lending/recent?limit=2' })).json().requests;
    expect(two.map((row: { requestId: string }) => row.requestId)).toEqual([broken, pending]);
    expect((await app.inject({ method: 'GET', url: '/api/lending/recent?limit=0' })).statusCode).toBe(400);
  });

  it('is empty before anyone asked', async () => {
    const app = await t.start();
    expect((await app.inject({ method: 'GET', url: '/api/lending/recent' })).json()).toEqual({ requests: [] });
  });
});
