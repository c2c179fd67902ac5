import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../index.ts';
import { waitFor } from '../testing/index.ts';
import { idempotencyHooks, type IdempotencyHookOptions } from './fastify.ts';
import { fingerprintRequest } from './fingerprint.ts';
import { createIdempotencyStore, type IdempotencyStoreOptions } from './store.ts';
import { useRedis } from '../testing/vitest.ts';

interface Harness {
  app: FastifyInstance;
  runs: () => number;
  /** Makes the handler wait until `open()`; returns the opener. */
  hold: () => () => void;
  /** The next handler runs answer with this status instead of 201. */
  failNext: (status: number, times?: number) => void;
  registry: Registry;
}

describe('idempotencyHooks (real Redis)', () => {
  const env = useRedis({ clients: 2, flush: true });
  const { clients } = env;
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  /** A POST /orders route counting its runs; `state` is shared when two app instances stand for two processes. */
  async function harness(
    options: { client?: RedisClient; store?: Partial<IdempotencyStoreOptions>; hooks?: Partial<IdempotencyHookOptions>; state?: { runs: number } } = {},
  ): Promise<Harness> {
    const registry = new Registry();
    const store = createIdempotencyStore({ redis: options.client ?? (clients[0] as RedisClient), prefix: 'test:http', registry, ...options.store });
    const hooks = idempotencyHooks({ store, scope: (request) => `ip:${request.ip}:orders`, ...options.hooks });
    const state = options.state ?? { runs: 0 };
    let gate: Promise<void> = Promise.resolve();
    let failures: { status: number; times: number } = { status: 0, times: 0 };
    const app = Fastify();
    app.post<{ Body: { item: string } }>('/orders', { ...hooks }, async (request, reply) => {
      state.runs++;
      await gate;
      if (failures.times > 0) {
        failures.times--;
        return reply.code(failures.status).send({ error: 'UPSTREAM', message: `failed with ${failures.status}` });
      }
      return reply.code(201).header('content-type', 'application/vnd.test+json').send({ orderId: `order-${state.runs}`, item: request.body.item });
    });
    await app.ready();
    apps.push(app);
    return {
      app,
      registry,
      runs: () => state.runs,
      hold: () => {
        let open!: () => void;
        gate = new Promise((resolve) => (open = resolve));
        return open;
      },
      failNext: (status, times = 1) => {
        failures = { status, times };
      },
    };
  }
  const post = (app: FastifyInstance, key: string | undefined, item = 'book', url = '/orders') =>
    app.inject({ method: 'POST', url, payload: { item }, headers: key === undefined ? {} : { 'idempotency-key': key } });
  const waitingDuplicates = async (registry: Registry) => {
    const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === 'tributary_idempotency_total');
    return metric?.values.find((value) => value.labels.outcome === 'in_flight')?.value ?? 0;
  };

  it('records the first answer and replays it for a repeated key', async () => {
    const h = await harness();
    const first = await post(h.app, 'key-1');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(h.app, 'key-1');
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(String(again.headers['content-type'])).toMatch(/^application\/vnd.test\+json/);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(h.runs()).toBe(1);
    // Another key is another request.
    expect((await post(h.app, 'key-2')).json()).toMatchObject({ orderId: 'order-2' });
  });

  it('runs the handler once for N parallel duplicates across two instances, and all get the same answer', async () => {
    const state = { runs: 0 };
    const one = await harness({ client: clients[0] as RedisClient, state });
    const two = await harness({ client: clients[1] as RedisClient, state });
    const open = one.hold();
    two.hold();
    const N = 12;
    const replies = Array.from({ length: N }, (_, i) => post(i % 2 === 0 ? one.app : two.app, 'same-key'));
    // Exactly one handler has started, and every other request is seen waiting on it.
    await waitFor(async () => state.runs === 1 && (await waitingDuplicates(one.registry)) + (await waitingDuplicates(two.registry)) === N - 1, {
      timeoutMs: 10_000,
      description: 'duplicates waiting',
    });
    open();
    const answers = await Promise.all(replies);
    expect(state.runs).toBe(1);
    expect(new Set(answers.map((answer) => answer.statusCode))).toEqual(new Set([201]));
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(N - 1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key on a different request', async () => {
    const h = await harness();
    await post(h.app, 'key-3', 'book');
    const other = await post(h.app, 'key-3', 'lamp');
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });
    const otherPath = await post(h.app, 'key-3', 'book', '/orders?express=1');
    expect(otherPath.statusCode).toBe(422);
    expect(h.runs()).toBe(1);
  });

  it('does not record 5xx answers, so a retry can succeed; 4xx answers are replayed', async () => {
    const h = await harness();
    h.failNext(503);
    expect((await post(h.app, 'key-4')).statusCode).toBe(503);
    const retried = await post(h.app, 'key-4');
    expect(retried.statusCode).toBe(201);
    expect((await post(h.app, 'key-4')).body).toBe(retried.body);
    expect(h.runs()).toBe(2);
    h.failNext(409);
    const conflict = await post(h.app, 'key-5');
    expect(conflict.statusCode).toBe(409);
    const replayed = await post(h.app, 'key-5');
    expect(replayed.statusCode).toBe(409);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(h.runs()).toBe(3);
  });

  it('a handler that throws gives its key back', async () => {
    const app = Fastify();
    const store = createIdempotencyStore({ redis: clients[0] as RedisClient, prefix: 'test:http' });
    let runs = 0;
    app.post('/boom', { ...idempotencyHooks({ store, scope: () => 'all' }) }, async () => {
      runs++;
      if (runs === 1) throw new Error('bug');
      return { ok: true };
    });
    await app.ready();
    apps.push(app);
    expect((await app.inject({ method: 'POST', url: '/boom', payload: {}, headers: { 'idempotency-key': 'k' } })).statusCode).toBe(500);
    expect((await app.inject({ method: 'POST', url: '/boom', payload: {}, headers: { 'idempotency-key': 'k' } })).statusCode).toBe(200);
    expect(runs).toBe(2);
  });

  it('a request whose holder crashed mid-flight runs once the claim expires', async () => {
    const h = await harness({ store: { inFlightTtlMs: 300, waitTimeoutMs: 10_000 } });
    // What a crashed instance leaves behind: a claim for this very request, never completed.
    const dead = createIdempotencyStore({ redis: clients[1] as RedisClient, prefix: 'test:http', inFlightTtlMs: 300 });
    const fingerprint = fingerprintRequest({ method: 'POST', url: '/orders', body: { item: 'book' } });
    expect((await dead.begin('ip:127.0.0.1:orders', 'key-6', fingerprint)).kind).toBe('acquired');
    const answer = await post(h.app, 'key-6');
    expect(answer.statusCode).toBe(201);
    expect(answer.headers['idempotent-replayed']).toBeUndefined();
    expect(h.runs()).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_PROGRESS when the first request outlasts the wait', async () => {
    const h = await harness({ store: { waitTimeoutMs: 100 } });
    const open = h.hold();
    const first = post(h.app, 'key-7');
    await waitFor(() => h.runs() === 1);
    const second = await post(h.app, 'key-7');
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_IN_PROGRESS' });
    expect(second.headers['retry-after']).toBe('1');
    open();
    expect((await first).statusCode).toBe(201);
    expect((await post(h.app, 'key-7')).headers['idempotent-replayed']).toBe('true');
  });

  it('runs unprotected without a key, or refuses when the key is required; rejects malformed keys', async () => {
    const h = await harness();
    await post(h.app, undefined);
    await post(h.app, undefined);
    expect(h.runs()).toBe(2);
    const bad = await post(h.app, 'has space');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'INVALID_IDEMPOTENCY_KEY' });
    const strict = await harness({ hooks: { required: true } });
    const missing = await post(strict.app, undefined);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(strict.runs()).toBe(0);
  });

  it('keys are scoped: two clients may use the same key', async () => {
    const h = await harness();
    const a = await h.app.inject({ method: 'POST', url: '/orders', payload: { item: 'book' }, headers: { 'idempotency-key': 'k' }, remoteAddress: '10.0.0.1' });
    const b = await h.app.inject({ method: 'POST', url: '/orders', payload: { item: 'lamp' }, headers: { 'idempotency-key': 'k' }, remoteAddress: '10.0.0.2' });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(h.runs()).toBe(2);
  });

  it('answers 503 when the store cannot be reached, and runs nothing', async () => {
    const broken = await connectRedis(env.server.url);
    await broken.close();
    const h = await harness({ client: broken });
    const answer = await post(h.app, 'key-8');
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ error: 'IDEMPOTENCY_STORE_UNAVAILABLE' });
    expect(h.runs()).toBe(0);
  });
});
