import { describe, expect, it } from 'vitest';
import { freePort } from 'tributary/testing';
import { useGateway } from './harness.ts';

const t = useGateway();

const status = {
  requestId: '1566505618781-0',
  kind: 'lend',
  status: 'ACCEPTED',
  userId: 'Salvatore',
  bookIds: ['ofmiceandmen'],
  unavailableBookIds: [],
  processedAt: '2019-08-22T20:06:58.781Z',
};

describe('lending routes', () => {
  it.each([
    ['/api/lending/requests', '/requests'],
    ['/api/lending/returns', '/returns'],
  ])('POST %s relays {userId, bookIds} to lending %s and answers 202 {requestId}', async (url, path) => {
    t.stub('lending', () => ({ status: 202, body: { requestId: '1566505618781-0', internalField: 'must not leak' } }));
    const app = await t.start();
    const reply = await app.inject({ method: 'POST', url, payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } });
    expect(reply.statusCode).toBe(202);
    expect(reply.json()).toEqual({ requestId: '1566505618781-0' });
    expect(t.calls.map(({ service, method, path, body }) => ({ service, method, path, body }))).toEqual([
      { service: 'lending', method: 'POST', path, body: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } },
    ]);
  });

  it('GET /api/lending/requests/:id relays the status, and an unknown id is 404', async () => {
    t.stub('lending', (call) =>
      call.path === '/requests/1566505618781-0'
        ? { status: 200, body: { ...status, internalField: 'must not leak' } }
        : { status: 404, body: { error: 'NOT_FOUND', message: 'no such request' } },
    );
    const app = await t.start();
    const known = await app.inject({ method: 'GET', url: '/api/lending/requests/1566505618781-0' });
    expect(known.statusCode).toBe(200);
    expect(known.json()).toEqual(status);
    const unknown = await app.inject({ method: 'GET', url: '/api/lending/requests/1-0' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'NOT_FOUND', message: 'no such request' });
  });

  it.each([
    { requestId: '5-0', kind: 'return', status: 'PENDING' },
    { requestId: '6-0', kind: 'lend', status: 'REJECTED', userId: 'Ada', reason: 'LIMIT_EXCEEDED', bookIds: ['dune'], bookIdsAtFault: ['dune'] },
    { requestId: '7-0', kind: 'return', status: 'PROCESSED', userId: 'Ada', returnedBookIds: ['dune'], refusedBookIds: ['ulysses'] },
    { requestId: '8-0', kind: 'unknown', status: 'DEAD_LETTERED', error: 'missing field "data"' },
  ])('passes a $status status on with its own fields', async (body) => {
    t.stub('lending', () => ({ status: 200, body }));
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url: `/api/lending/requests/${body.requestId}` });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual(body);
  });

  it('GET /api/lending/users/:id/books relays the books a user holds', async () => {
    t.stub('lending', () => ({ status: 200, body: { userId: 'Salvatore', bookIds: ['ofmiceandmen'], count: 1 } }));
    const app = await t.start();
    const reply = await app.inject({ method: 'GET', url: '/api/lending/users/Salvatore/books' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ userId: 'Salvatore', bookIds: ['ofmiceandmen'], count: 1 });
    expect(t.callsTo('lending').map((call) => call.path)).toEqual(['/users/Salvatore/books']);
  });

  it.each([
    ['POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: [] }],
    ['POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: ['a', 'a'] }],
    ['POST', '/api/lending/requests', { userId: 'Salvatore', bookIds: ['of mice and men'] }],
    ['POST', '/api/lending/requests', { bookIds: ['ofmiceandmen'] }],
    ['POST', '/api/lending/returns', { userId: 'Salvatore', bookIds: ['ofmiceandmen'], extra: 1 }],
    ['POST', '/api/lending/returns', { userId: 'Salvatore', bookIds: Array.from({ length: 21 }, (_, i) => `b${i}`) }],
    ['GET', '/api/lending/requests/not-an-id', undefined],
    ['GET', '/api/lending/requests/1566505618781', undefined],
    ['GET', `/api/lending/requests/${'9'.repeat(21)}-0`, undefined],
    ['GET', '/api/lending/users/..%2Fstorage/books', undefined],
  ])('%s %s %j is a 400 that never reaches lending', async (method, url, payload) => {
    const app = await t.start();
    const reply = await app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload }) });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(t.calls).toHaveLength(0);
  });

  it('replays a POST with the same Idempotency-Key: one entry on the stream', async () => {
    let appended = 0;
    t.stub('lending', () => ({ status: 202, body: { requestId: `${++appended}-0` } }));
    const app = await t.start();
    const headers = { 'idempotency-key': 'borrow-1' };
    const payload = { userId: 'Salvatore', bookIds: ['ofmiceandmen'] };
    const first = await app.inject({ method: 'POST', url: '/api/lending/requests', payload, headers });
    const again = await app.inject({ method: 'POST', url: '/api/lending/requests', payload, headers });
    expect(first.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(t.callsTo('lending')).toHaveLength(1);
    // Lending gets the key too: its own guard when a 503 made the gateway release it.
    expect(t.callsTo('lending')[0]?.headers['idempotency-key']).toBe('borrow-1');
    // The return route is a scope of its own: the same key there is a new action.
    expect((await app.inject({ method: 'POST', url: '/api/lending/returns', payload, headers })).json()).toEqual({ requestId: '2-0' });
  });

  it('is rate limited like every /api route', async () => {
    t.stub('lending', () => ({ status: 202, body: { requestId: '1-0' } }));
    const app = await t.start({ rateLimit: { burst: 1, perSecond: 0.01 } });
    const payload = { userId: 'Salvatore', bookIds: ['ofmiceandmen'] };
    expect((await app.inject({ method: 'POST', url: '/api/lending/requests', payload })).statusCode).toBe(202);
    const refused = await app.inject({ method: 'POST', url: '/api/lending/requests', payload });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(t.callsTo('lending')).toHaveLength(1);
  });

  it('answers 503 SERVICE_UNAVAILABLE, never 500, when lending is down or failing', async () => {
    const down = await t.start({}, { lending: `http://127.0.0.1:${await freePort()}` });
    for (const request of [
      { method: 'POST' as const, url: '/api/lending/requests', payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } },
      { method: 'GET' as const, url: '/api/lending/requests/1-0' },
      { method: 'GET' as const, url: '/api/lending/users/Salvatore/books' },
    ]) {
      const reply = await down.inject(request);
      expect(reply.statusCode, request.url).toBe(503);
      expect(reply.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
    }
    t.stub('lending', () => ({ status: 500, body: { error: 'INTERNAL', message: 'boom' } }));
    const failing = await t.start();
    const reply = await failing.inject({ method: 'POST', url: '/api/lending/returns', payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
  });

  it('documents the lending routes in the OpenAPI document', async () => {
    const app = await t.start();
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const path of ['/api/lending/requests', '/api/lending/returns', '/api/lending/requests/{id}', '/api/lending/users/{id}/books']) {
      expect(document.paths, path).toHaveProperty([path]);
      for (const operation of Object.values(document.paths[path] ?? {})) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '429', '503']));
    }
  });
});
