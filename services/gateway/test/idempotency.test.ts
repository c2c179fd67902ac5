import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { metricValue, product, useGateway, user } from './harness.ts';

const t = useGateway();

describe('Idempotency-Key on POSTs that create something', () => {
  const newUser = { name: 'Ada', email: 'ada@example.com', country: 'GB', balanceCents: 1_000 };

  function orderingStubs(options: { gate?: Promise<void>; failures?: number } = {}) {
    let placed = 0;
    let failures = options.failures ?? 0;
    t.stub('ordering', async () => {
      await options.gate;
      if (failures > 0) {
        failures--;
        return { status: 500, body: { error: 'INTERNAL', message: 'boom' } };
      }
      placed++;
      return { status: 202, body: { orderId: `order-${placed}`, status: 'AWAITING_PAYMENT' } };
    });
  }
  const order = { userId: 'u-1', items: [{ productId: 'p-1', quantity: 2 }] };

  it('replays the first answer to a repeated POST /api/users; accounts is called once', async () => {
    let created = 0;
    t.stub('accounts', () => ({ status: 201, body: { ...user, id: `u-${++created}` } }));
    const app = await t.start();
    const headers = { 'idempotency-key': 'signup-1' };
    const first = await app.inject({ method: 'POST', url: '/api/users', payload: newUser, headers });
    const again = await app.inject({ method: 'POST', url: '/api/users', payload: newUser, headers });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(t.callsTo('accounts')).toHaveLength(1);
    // Without a key every POST is a new request.
    await app.inject({ method: 'POST', url: '/api/users', payload: newUser });
    await app.inject({ method: 'POST', url: '/api/users', payload: newUser });
    expect(t.callsTo('accounts')).toHaveLength(3);
  });

  it('runs a POST /api/orders once for parallel duplicates, and passes the key on to ordering', async () => {
    let open!: () => void;
    orderingStubs({ gate: new Promise<void>((resolve) => (open = resolve)) });
    const app = await t.start();
    const N = 8;
    const replies = Array.from({ length: N }, () =>
      app.inject({ method: 'POST', url: '/api/orders', payload: order, headers: { 'idempotency-key': 'order-key-1' } }),
    );
    await waitFor(
      async () => t.callsTo('ordering').length === 1 && (await metricValue(app, 'tributary_idempotency_total', { outcome: 'in_flight' })) === N - 1,
      { timeoutMs: 10_000, description: 'one order in flight, the duplicates waiting' },
    );
    open();
    const answers = await Promise.all(replies);
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(N).fill(202));
    expect(new Set(answers.map((answer) => answer.json().orderId))).toEqual(new Set(['order-1']));
    expect(t.callsTo('ordering')).toHaveLength(1);
    expect(t.callsTo('ordering')[0]?.headers['idempotency-key']).toBe('order-key-1');
  });

  it('does not record a 503, so the retry reaches the service and succeeds', async () => {
    orderingStubs({ failures: 1 });
    const app = await t.start();
    const headers = { 'idempotency-key': 'order-key-2' };
    const failed = await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers });
    expect(failed.statusCode).toBe(503);
    const retried = await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers });
    expect(retried.statusCode).toBe(202);
    const replayed = await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers });
    expect(replayed.json()).toEqual(retried.json());
    expect(t.callsTo('ordering')).toHaveLength(2);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key on a different body', async () => {
    orderingStubs();
    const app = await t.start();
    const headers = { 'idempotency-key': 'order-key-3' };
    expect((await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers })).statusCode).toBe(202);
    const reused = await app.inject({ method: 'POST', url: '/api/orders', payload: { ...order, items: [{ productId: 'p-1', quantity: 3 }] }, headers });
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });
    expect(t.callsTo('ordering')).toHaveLength(1);
  });

  it('scopes keys per client and per route', async () => {
    orderingStubs();
    let created = 0;
    t.stub('accounts', (call) => (call.method === 'POST' ? { status: 201, body: { ...user, id: `u-${++created}` } } : { status: 200, body: user }));
    const app = await t.start();
    const headers = { 'idempotency-key': 'shared-key' };
    await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers, remoteAddress: '10.0.0.1' });
    await app.inject({ method: 'POST', url: '/api/orders', payload: order, headers, remoteAddress: '10.0.0.2' });
    expect(t.callsTo('ordering')).toHaveLength(2);
    const signup = await app.inject({ method: 'POST', url: '/api/users', payload: newUser, headers, remoteAddress: '10.0.0.1' });
    expect(signup.statusCode).toBe(201);
  });

  it('covers POST /api/products and POST /api/baskets/:userId/checkout too', async () => {
    let checkouts = 0;
    t.stub('catalog', () => ({ status: 201, body: product }));
    t.stub('basket', () => ({ status: 202, body: { orderId: `o-${++checkouts}` } }));
    const app = await t.start();
    const headers = { 'idempotency-key': 'k-1' };
    const payload = { sku: 'S', name: 'Haggis', priceCents: 1_250, stock: 10 };
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'POST', url: '/api/products', payload, headers })).statusCode).toBe(201);
    expect(t.callsTo('catalog')).toHaveLength(1);
    const first = await app.inject({ method: 'POST', url: '/api/baskets/u-1/checkout', headers });
    const second = await app.inject({ method: 'POST', url: '/api/baskets/u-1/checkout', headers });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.json()).toEqual({ orderId: 'o-1' });
    expect(t.callsTo('basket')).toHaveLength(1);
  });

  it('rejects a malformed key with 400 and writes nothing', async () => {
    const app = await t.start();
    for (const key of ['x'.repeat(201), 'has space', 'tab\there']) {
      const bad = await app.inject({ method: 'POST', url: '/api/users', payload: newUser, headers: { 'idempotency-key': key } });
      expect(bad.statusCode, key).toBe(400);
    }
    expect(t.calls).toHaveLength(0);
    expect(await t.store.keys('gateway:idempotency:*')).toEqual([]);
  });
});
