import { describe, expect, it } from 'vitest';
import { product, useGateway, user } from './harness.ts';
import type { Upstreams } from '../src/upstream.ts';

const t = useGateway();

const basket = {
  userId: 'u-1',
  items: [{ productId: 'p-1', name: 'Haggis', quantity: 2, unitPriceCents: 1_250, lineTotalCents: 2_500 }],
  totalCents: 2_500,
  checkout: null,
};
const mails = {
  items: [
    {
      mailId: 'm-1',
      userId: 'u-1',
      orderId: 'o-1',
      kind: 'ORDER_COMPLETED',
      to: { name: 'Ada', email: 'ada@example.com', address: null },
      subject: 'Your order',
      body: 'Shipped.',
      sentAt: '2024-01-01T00:00:00.000Z',
    },
  ],
};
const board = { board: 'best-sellers', items: [{ member: 'p-1', score: 12, rank: 1 }] };
const order = {
  id: 'o-1',
  userId: 'u-1',
  customerName: 'Ada Lovelace',
  deliveryId: null,
  totalCents: 2_500,
  status: 'AWAITING_PAYMENT',
  items: [{ productId: 'p-1', quantity: 2, unitPriceCents: 1_250 }],
  failureReason: null,
  history: [{ status: 'AWAITING_PAYMENT', at: '2024-01-01T00:00:00.000Z' }],
  createdAt: '2024-01-01T00:00:00.000Z',
};

const point = { lat: 51.5, lon: -0.12 };
const parcel = {
  packageId: 'pk-1', orderId: 'o-1', userId: 'u-1', size: 'SMALL', weightGrams: 500, tags: ['standard'],
  items: [{ productId: 'p-1', quantity: 1 }], pickup: point, dropoff: point, createdAt: '2024-01-01T00:00:00.000Z',
};
const steps = [{ status: 'CREATED', at: '2024-01-01T00:00:00.000Z' }, { status: 'DELIVERED', at: '2024-01-01T00:10:00.000Z' }];
const delivery = {
  deliveryId: 'd-1', packageId: 'pk-1', orderId: 'o-1', status: 'IN_TRANSIT', droneId: 'drone-1', position: point,
  batteryPct: 80, etaSeconds: 42, reason: null, updatedAt: '2024-01-01T00:05:00.000Z', steps: steps.slice(0, 1),
};
const history = {
  deliveryId: 'd-1', packageId: 'pk-1', orderId: 'o-1', status: 'DELIVERED', reason: null, steps,
  startedAt: steps[0]!.at, finishedAt: steps[1]!.at, durationSeconds: 600, source: 'lake',
};
const analytics = {
  from: '2024-01-01', to: '2024-01-02',
  days: [{ day: '2024-01-01', delivered: 3, failed: 1, avgDurationSeconds: 600 }],
  totals: { delivered: 3, failed: 1, failureRate: 0.25 }, failuresByReason: { BATTERY_DEPLETED: 1 },
};

interface Case {
  name: string;
  request: { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string; payload?: unknown };
  upstream: { service: keyof Upstreams; method: string; path: string; body?: unknown };
  answer: { status: number; body: unknown };
}

const cases: Case[] = [
  {
    name: 'PATCH /api/users/:id',
    request: { method: 'PATCH', url: '/api/users/u-1', payload: { address: '1 Main St', name: 'Ada L' } },
    upstream: { service: 'accounts', method: 'PATCH', path: '/users/u-1', body: { address: '1 Main St', name: 'Ada L' } },
    answer: { status: 200, body: { ...user, name: 'Ada L', address: '1 Main St' } },
  },
  {
    name: 'PATCH /api/products/:id',
    request: { method: 'PATCH', url: '/api/products/p-1', payload: { priceCents: 999 } },
    upstream: { service: 'catalog', method: 'PATCH', path: '/products/p-1', body: { priceCents: 999 } },
    answer: { status: 200, body: { ...product, priceCents: 999 } },
  },
  {
    name: 'POST /api/products with digital',
    request: { method: 'POST', url: '/api/products', payload: { sku: 'EB-1', name: 'E-book', priceCents: 500, stock: 0, digital: true } },
    upstream: { service: 'catalog', method: 'POST', path: '/products', body: { sku: 'EB-1', name: 'E-book', priceCents: 500, stock: 0, digital: true, bannedCountries: [] } },
    answer: { status: 201, body: { ...product, digital: true } },
  },
  {
    name: 'PUT /api/baskets/:userId/items/:productId',
    request: { method: 'PUT', url: '/api/baskets/u-1/items/p-1', payload: { quantity: 2 } },
    upstream: { service: 'basket', method: 'PUT', path: '/baskets/u-1/items/p-1', body: { quantity: 2 } },
    answer: { status: 200, body: basket },
  },
  {
    name: 'PUT with an unknown product',
    request: { method: 'PUT', url: '/api/baskets/u-1/items/p-9', payload: { quantity: 1 } },
    upstream: { service: 'basket', method: 'PUT', path: '/baskets/u-1/items/p-9', body: { quantity: 1 } },
    answer: { status: 422, body: { error: 'UNKNOWN_PRODUCT', message: 'no price for p-9' } },
  },
  {
    name: 'DELETE /api/baskets/:userId/items/:productId',
    request: { method: 'DELETE', url: '/api/baskets/u-1/items/p-1' },
    upstream: { service: 'basket', method: 'DELETE', path: '/baskets/u-1/items/p-1' },
    answer: { status: 200, body: { ...basket, items: [], totalCents: 0 } },
  },
  {
    name: 'GET /api/baskets/:userId',
    request: { method: 'GET', url: '/api/baskets/u-1' },
    upstream: { service: 'basket', method: 'GET', path: '/baskets/u-1' },
    answer: { status: 200, body: { ...basket, checkout: { orderId: 'o-1' } } },
  },
  {
    name: 'POST /api/baskets/:userId/checkout',
    request: { method: 'POST', url: '/api/baskets/u-1/checkout' },
    upstream: { service: 'basket', method: 'POST', path: '/baskets/u-1/checkout' },
    answer: { status: 202, body: { orderId: 'o-1' } },
  },
  {
    name: 'checkout of an empty basket',
    request: { method: 'POST', url: '/api/baskets/u-2/checkout' },
    upstream: { service: 'basket', method: 'POST', path: '/baskets/u-2/checkout' },
    answer: { status: 422, body: { error: 'EMPTY_BASKET', message: 'nothing to check out' } },
  },
  {
    name: 'GET /api/users/:id/mails',
    request: { method: 'GET', url: '/api/users/u-1/mails?limit=5' },
    upstream: { service: 'mailing', method: 'GET', path: '/mails?userId=u-1&limit=5' },
    answer: { status: 200, body: mails },
  },
  {
    name: 'GET /api/mails?orderId=',
    request: { method: 'GET', url: '/api/mails?orderId=o-1' },
    upstream: { service: 'mailing', method: 'GET', path: '/mails?orderId=o-1&limit=20' },
    answer: { status: 200, body: mails },
  },
  {
    name: 'POST /api/admin/projections/mailing/rebuild',
    request: { method: 'POST', url: '/api/admin/projections/mailing/rebuild' },
    upstream: { service: 'mailing', method: 'POST', path: '/projections/recipients/rebuild' },
    answer: { status: 200, body: { rebuilt: true, position: '1700000000000-0' } },
  },
  {
    name: 'GET /api/leaderboards/:board',
    request: { method: 'GET', url: '/api/leaderboards/best-sellers?limit=3' },
    upstream: { service: 'orderMonitoring', method: 'GET', path: '/leaderboards/best-sellers?limit=3' },
    answer: { status: 200, body: board },
  },
  {
    name: 'GET /api/leaderboards/:board (unknown)',
    request: { method: 'GET', url: '/api/leaderboards/worst-sellers' },
    upstream: { service: 'orderMonitoring', method: 'GET', path: '/leaderboards/worst-sellers?limit=10' },
    answer: { status: 404, body: { error: 'UNKNOWN_LEADERBOARD', message: 'no such board' } },
  },
  {
    name: 'GET /api/leaderboards/:board/members/:member',
    request: { method: 'GET', url: '/api/leaderboards/top-spenders/members/u-1' },
    upstream: { service: 'orderMonitoring', method: 'GET', path: '/leaderboards/top-spenders/members/u-1' },
    answer: { status: 200, body: { member: 'u-1', score: 2_500, rank: 1 } },
  },
  // One hop: ordering checks the user and prices the lines from its own copies; accounts and the catalog are not called.
  {
    name: 'POST /api/orders',
    request: { method: 'POST', url: '/api/orders', payload: { userId: 'u-1', items: [{ productId: 'p-1', quantity: 2 }] } },
    upstream: { service: 'ordering', method: 'POST', path: '/orders', body: { userId: 'u-1', items: [{ productId: 'p-1', quantity: 2 }] } },
    answer: { status: 202, body: { orderId: 'o-1', status: 'AWAITING_PAYMENT' } },
  },
  {
    name: 'POST /api/orders for an unknown user',
    request: { method: 'POST', url: '/api/orders', payload: { userId: 'u-9', items: [{ productId: 'p-1', quantity: 1 }] } },
    upstream: { service: 'ordering', method: 'POST', path: '/orders', body: { userId: 'u-9', items: [{ productId: 'p-1', quantity: 1 }] } },
    answer: { status: 422, body: { error: 'UNKNOWN_USER', message: 'no user with id u-9' } },
  },
  {
    name: 'POST /api/orders for an unknown product',
    request: { method: 'POST', url: '/api/orders', payload: { userId: 'u-1', items: [{ productId: 'p-9', quantity: 1 }] } },
    upstream: { service: 'ordering', method: 'POST', path: '/orders', body: { userId: 'u-1', items: [{ productId: 'p-9', quantity: 1 }] } },
    answer: { status: 422, body: { error: 'UNKNOWN_PRODUCT', message: 'no product with id p-9' } },
  },
  {
    name: 'GET /api/orders/:id with customerName',
    request: { method: 'GET', url: '/api/orders/o-1' },
    upstream: { service: 'ordering', method: 'GET', path: '/orders/o-1' },
    answer: { status: 200, body: order },
  },
  {
    name: 'GET /api/orders/:id?waitMs= (long-poll, passed to ordering)',
    request: { method: 'GET', url: '/api/orders/o-1?waitMs=5000' },
    upstream: { service: 'ordering', method: 'GET', path: '/orders/o-1?waitMs=5000' },
    answer: { status: 200, body: order },
  },
  {
    name: 'GET /api/packages/:id',
    request: { method: 'GET', url: '/api/packages/pk-1' },
    upstream: { service: 'package', method: 'GET', path: '/packages/pk-1' },
    answer: { status: 200, body: parcel },
  },
  {
    name: 'GET /api/packages?tag=',
    request: { method: 'GET', url: '/api/packages?tag=standard&limit=5' },
    upstream: { service: 'package', method: 'GET', path: '/packages?tag=standard&limit=5' },
    answer: { status: 200, body: { items: [parcel], next: null } },
  },
  {
    name: 'GET /api/deliveries/:id',
    request: { method: 'GET', url: '/api/deliveries/d-1' },
    upstream: { service: 'delivery', method: 'GET', path: '/deliveries/d-1' },
    answer: { status: 200, body: delivery },
  },
  {
    name: 'GET /api/deliveries/queue',
    request: { method: 'GET', url: '/api/deliveries/queue' },
    upstream: { service: 'delivery', method: 'GET', path: '/deliveries/queue' },
    answer: { status: 200, body: { waiting: 12, oldestWaitSeconds: 42.5, waitLimitSeconds: 600 } },
  },
  {
    name: 'GET /api/drones',
    request: { method: 'GET', url: '/api/drones?lat=51.5&lon=-0.12&radiusKm=5' },
    upstream: { service: 'delivery', method: 'GET', path: '/drones?lat=51.5&lon=-0.12&radiusKm=5' },
    answer: { status: 200, body: { items: [{ droneId: 'drone-1', deliveryId: 'd-1', position: point, distanceKm: 0.3 }] } },
  },
  {
    name: 'GET /api/deliveries/:id/history',
    request: { method: 'GET', url: '/api/deliveries/d-1/history' },
    upstream: { service: 'deliveryHistory', method: 'GET', path: '/deliveries/d-1/history' },
    answer: { status: 200, body: history },
  },
  {
    name: 'GET /api/analytics/deliveries',
    request: { method: 'GET', url: '/api/analytics/deliveries?from=2024-01-01&to=2024-01-02' },
    upstream: { service: 'deliveryHistory', method: 'GET', path: '/analytics/deliveries?from=2024-01-01&to=2024-01-02' },
    answer: { status: 200, body: analytics },
  },
  {
    name: 'POST /api/admin/delivery-history/archive',
    request: { method: 'POST', url: '/api/admin/delivery-history/archive', payload: { olderThanDays: 7 } },
    upstream: { service: 'deliveryHistory', method: 'POST', path: '/archive', body: { olderThanDays: 7 } },
    answer: { status: 200, body: { archived: 2, cutoff: '2024-01-01T00:00:00.000Z' } },
  },
  {
    name: 'GET /api/admin/orders/stuck',
    request: { method: 'GET', url: '/api/admin/orders/stuck?limit=5' },
    upstream: { service: 'ordering', method: 'GET', path: '/stuck-orders?limit=5' },
    answer: {
      status: 200,
      body: { stuckAfterMs: 900_000, counts: { AWAITING_PAYMENT: 0, AWAITING_SHIPMENT: 1, AWAITING_REFUND: 0 }, items: [{ id: 'o-1', userId: 'u-1', status: 'AWAITING_SHIPMENT', totalCents: 300, updatedAt: '2024-01-01T00:00:00.000Z' }] },
    },
  },
  {
    name: 'POST /api/admin/orders/:id/resolve',
    request: { method: 'POST', url: '/api/admin/orders/o-1/resolve' },
    upstream: { service: 'ordering', method: 'POST', path: '/stuck-orders/o-1/resolve' },
    answer: { status: 200, body: { orderId: 'o-1', status: 'AWAITING_REFUND' } },
  },
];

describe('proxied routes', () => {
  it.each(cases)('$name reaches the right service and passes its answer on', async ({ request, upstream, answer }) => {
    t.stub(upstream.service, () => ({ status: answer.status, body: { ...(answer.body as object), internalField: 'must not leak' } }));
    const app = await t.start();
    const reply = await app.inject(request as never);
    expect(t.calls.map((call) => ({ service: call.service, method: call.method, path: call.path, ...(call.body === undefined ? {} : { body: call.body }) }))).toEqual([
      { service: upstream.service, method: upstream.method, path: upstream.path, ...(upstream.body === undefined ? {} : { body: upstream.body }) },
    ]);
    expect(reply.statusCode).toBe(answer.status);
    expect(reply.json()).toEqual(answer.body);
  });

  it.each([
    ['PUT', '/api/baskets/u-1/items/p-1', { quantity: -1 }],
    ['PUT', '/api/baskets/u-1/items/p-1', { quantity: 10_001 }],
    ['PUT', '/api/baskets/u-1/items/p-1', { quantity: '2' }],
    ['PATCH', '/api/products/p-1', {}],
    ['PATCH', '/api/products/p-1', { priceCents: -5 }],
    ['PATCH', '/api/users/u-1', {}],
    ['GET', '/api/mails?limit=101', undefined],
    ['GET', '/api/leaderboards/best-sellers?limit=0', undefined],
    ['GET', '/api/leaderboards/Bad Board', undefined],
    ['GET', '/api/baskets/..%2Fadmin', undefined],
    ['GET', '/api/packages', undefined],
    ['GET', '/api/packages?tag=Not%20A%20Tag', undefined],
    ['GET', '/api/analytics/deliveries?from=2024-1-1&to=2024-01-02', undefined],
    ['GET', '/api/drones?radiusKm=0', undefined],
    ['POST', '/api/admin/delivery-history/archive', { olderThanDays: -1 }],
    ['POST', '/api/orders', { userId: 'u-1', items: [{ productId: 'p-1', quantity: 1 }, { productId: 'p-1', quantity: 2 }] }],
    ['POST', '/api/orders', { userId: 'u-1', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 1 }] }],
  ])('%s %s %j is a 400 that never reaches a service', async (method, url, payload) => {
    const app = await t.start();
    const reply = await app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload }) });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(t.calls).toHaveLength(0);
  });

  it('answers GET /api/deliveries/:id from delivery-history once delivery no longer holds the finished delivery', async () => {
    t.stub('delivery', () => ({ status: 404, body: { error: 'DELIVERY_NOT_FOUND', message: 'not here' } }));
    t.stub('deliveryHistory', () => ({ status: 200, body: history }));
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url: '/api/deliveries/d-1' });
    expect(t.calls.map((call) => `${call.service} ${call.method} ${call.path}`)).toEqual(['delivery GET /deliveries/d-1', 'deliveryHistory GET /deliveries/d-1/history']);
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({
      deliveryId: 'd-1', packageId: 'pk-1', orderId: 'o-1', status: 'DELIVERED', droneId: null, position: null,
      batteryPct: null, etaSeconds: null, reason: null, updatedAt: history.finishedAt, steps,
    });
  });

  it('answers delivery\'s 404 for a delivery neither service knows, and 503 for a history record of an unexpected shape', async () => {
    t.stub('delivery', () => ({ status: 404, body: { error: 'DELIVERY_NOT_FOUND', message: 'delivery d-1 is not here' } }));
    t.stub('deliveryHistory', () => ({ status: 404, body: { error: 'NOT_FOUND', message: 'no history' } }));
    const app = await t.start();
    const unknown = await app.inject({ method: 'GET', url: '/api/deliveries/d-1' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'DELIVERY_NOT_FOUND' });
    t.stub('deliveryHistory', () => ({ status: 200, body: { ...history, steps: 'not a list' } }));
    const odd = await app.inject({ method: 'GET', url: '/api/deliveries/d-1' });
    expect(odd.statusCode).toBe(503);
    expect(odd.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 503 when a service is down, never 500', async () => {
    t.stub('basket', () => ({ status: 500, body: { error: 'INTERNAL', message: 'boom' } }));
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url: '/api/baskets/u-1' });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
  });

  it('documents every /api route with its schemas in the OpenAPI document', async () => {
    const app = await t.start();
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const path of [
      '/api/sessions',
      '/api/session',
      '/api/baskets/{userId}/items/{productId}',
      '/api/baskets/{userId}/checkout',
      '/api/users/{id}/mails',
      '/api/mails',
      '/api/leaderboards/{board}',
      '/api/leaderboards/{board}/members/{member}',
      '/api/admin/dead-letters',
      '/api/admin/dead-letters/replay',
      '/api/admin/projections/mailing/rebuild',
    ]) {
      expect(document.paths, path).toHaveProperty([path]);
      for (const operation of Object.values(document.paths[path] ?? {})) expect(Object.keys(operation.responses)).toContain('429');
    }
  });
});
