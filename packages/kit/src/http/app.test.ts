import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { createHttpApp, type HttpApp } from './index.ts';
import { TributaryError } from '../errors.ts';

describe('createHttpApp validation', () => {
  let app: HttpApp;
  beforeAll(async () => {
    app = createHttpApp({ service: 'test' });
    app.post(
      '/things/:id',
      {
        schema: {
          params: Type.Object({ id: Type.Integer() }),
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) }),
          body: Type.Object({ quantity: Type.Integer(), email: Type.Optional(Type.String({ format: 'email' })) }, { additionalProperties: false }),
        },
      },
      async (request) => ({ id: request.params.id, limit: request.query.limit ?? null, quantity: request.body.quantity }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('coerces path and query text to the declared types', async () => {
    const reply = await app.inject({ method: 'POST', url: '/things/7?limit=5', payload: { quantity: 2 } });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ id: 7, limit: 5, quantity: 2 });
  });

  it.each([['"100"', { quantity: '100' }], ['true', { quantity: true }], ['an unknown field', { quantity: 1, extra: 1 }], ['a bad email', { quantity: 1, email: 'nope' }]])(
    'rejects a body with %s instead of coercing it',
    async (_label, payload) => {
      const reply = await app.inject({ method: 'POST', url: '/things/7', payload });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    },
  );

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const reply = await app.inject({ method: 'POST', url: '/things/7', headers: { 'content-type': 'application/json' }, payload: '{"quantity":' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'INVALID_JSON' });
  });

  it.each([
    ['text/plain', 'text/plain', '{"quantity":1}'],
    ['a form', 'application/x-www-form-urlencoded', 'quantity=1'],
    ['a multipart form', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="quantity"\r\n\r\n1\r\n--x--'],
  ])('answers a body sent as %s (what another origin may POST without a preflight) with 415 before the handler', async (_label, type, payload) => {
    let reached = 0;
    const plain = createHttpApp({ service: 'csrf' });
    plain.post('/act', async () => {
      reached++;
      return { ok: true };
    });
    await plain.ready();
    try {
      const reply = await plain.inject({ method: 'POST', url: '/act', headers: { 'content-type': type }, payload });
      expect(reply.statusCode).toBe(415);
      expect(reply.json()).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(reached).toBe(0);
    } finally {
      await plain.close();
    }
  });
});

describe('createHttpApp metrics', () => {
  it('records request latency by route pattern and status, never by raw URL', async () => {
    const app = createHttpApp({ service: 'metered' });
    app.get('/orders/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async (request) => ({ id: request.params.id }));
    await app.ready();
    try {
      for (const id of ['a', 'b', 'c']) expect((await app.inject({ method: 'GET', url: `/orders/${id}` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/no/such/path' })).statusCode).toBe(404);
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const count = (labels: string[]) =>
        text
          .split('\n')
          .filter((line) => line.startsWith('tributary_http_request_duration_seconds_count{') && labels.every((label) => line.includes(label)))
          .map((line) => Number(line.split(' ').at(-1)));
      expect(count(['method="GET"', 'route="/orders/:id"', 'status_code="200"', 'service="metered"'])).toEqual([3]);
      expect(count(['route="unmatched"', 'status_code="404"'])).toEqual([1]);
      expect(text).not.toContain('/orders/a');
    } finally {
      await app.close();
    }
  });
});

describe('createHttpApp health', () => {
  it('/healthz says which service, version and instance answers, and since when', async () => {
    const app = createHttpApp({ service: 'healthy', version: '9.9.9' });
    try {
      const body = (await app.inject({ method: 'GET', url: '/healthz' })).json() as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'ok', service: 'healthy', version: '9.9.9', pid: process.pid });
      expect(Number.isNaN(Date.parse(String(body.startedAt)))).toBe(false);
      expect(body.uptimeSeconds).toEqual(expect.any(Number));
      // A soak run reads each process's memory here.
      expect(body.rssBytes).toBeGreaterThan(0);
      expect(body.heapUsedBytes).toBeGreaterThan(0);
      expect(Number(body.heapUsedBytes)).toBeLessThan(Number(body.rssBytes));
    } finally {
      await app.close();
    }
  });
});

describe('createHttpApp control characters', () => {
  let app: HttpApp;
  let writes = 0;
  beforeAll(async () => {
    app = createHttpApp({ service: 'test' });
    app.post(
      '/notes/:slug',
      {
        schema: {
          params: Type.Object({ slug: Type.String() }),
          querystring: Type.Object({ tag: Type.Optional(Type.String()) }),
          body: Type.Object({ title: Type.String(), lines: Type.Array(Type.Object({ text: Type.String() })) }),
        },
      },
      async () => {
        writes++;
        return { ok: true };
      },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['a body string', '/notes/a', { title: 'a\u0000b', lines: [] }],
    ['a nested body string', '/notes/a', { title: 'fine', lines: [{ text: 'ok' }, { text: '\u0000' }] }],
    ['the query string', '/notes/a?tag=x%00y', { title: 'fine', lines: [] }],
    ['a path parameter', '/notes/a%00b', { title: 'fine', lines: [] }],
    ['an ESC sequence in a body string', '/notes/a', { title: 'red\u001b[31m', lines: [] }],
    ['a C1 control in a nested string', '/notes/a', { title: 'fine', lines: [{ text: 'a\u0085' }] }],
    ['DEL in the query string', '/notes/a?tag=x%7Fy', { title: 'fine', lines: [] }],
    ['a control character in a path parameter', '/notes/a%01b', { title: 'fine', lines: [] }],
  ])('refuses a control character in %s with 400 and never runs the handler', async (_label, url, payload) => {
    const before = writes;
    const reply = await app.inject({ method: 'POST', url, payload });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'INVALID_CHARACTER' });
    expect(writes).toBe(before);
  });

  it('lets tab, line feed, carriage return and ordinary text through', async () => {
    const reply = await app.inject({ method: 'POST', url: '/notes/a', payload: { title: 'tab\there', lines: [{ text: 'ünïcode ✓\r\nnext line' }] } });
    expect(reply.statusCode).toBe(200);
  });
});

describe('createHttpApp readiness', () => {
  it('/readyz answers 503 naming a check that does not answer, instead of waiting for it', async () => {
    const app = createHttpApp({
      service: 'stuck',
      readiness: { database: async () => undefined, bus: () => new Promise<never>(() => undefined) },
    });
    try {
      const reply = await app.inject({ method: 'GET', url: '/readyz' });
      expect(reply.statusCode).toBe(503);
      expect(reply.json()).toMatchObject({ status: 'not ready', failures: { bus: expect.stringContaining('no answer within') } });
      expect(Object.keys((reply.json() as { failures: object }).failures)).toEqual(['bus']);
    } finally {
      await app.close();
    }
  });
});

describe('createHttpApp errors', () => {
  it('answers a write the replicas do not hold yet with 503 NOT_REPLICATED (a retry may succeed), any other failure with 500 INTERNAL', async () => {
    const app = createHttpApp({ service: 'replicated' });
    app.post('/replicated', async () => {
      throw new TributaryError('TRIB_NOT_REPLICATED', 'request 1-0 on lending:requests reached 0 of 1 replica(s) within 100 ms');
    });
    app.post('/broken', async () => {
      throw new Error('a bug');
    });
    try {
      const replicated = await app.inject({ method: 'POST', url: '/replicated' });
      expect(replicated.statusCode).toBe(503);
      expect(replicated.json()).toMatchObject({ error: 'NOT_REPLICATED' });
      const broken = await app.inject({ method: 'POST', url: '/broken' });
      expect(broken.statusCode).toBe(500);
      expect(broken.json()).toMatchObject({ error: 'INTERNAL' });
    } finally {
      await app.close();
    }
  });
});
