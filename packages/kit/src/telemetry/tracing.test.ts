import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../http/app.ts';
import { loadLuaScript, runLuaScript } from '../redis/script.ts';
import { openDatabase, type SqlDatabase } from '../sql/database.ts';
import { createConsumer, type Consumer } from '../streams/consumer.ts';
import { defineEvent } from '../streams/events.ts';
import { createPublisher } from '../streams/publisher.ts';
import { waitFor } from '../testing/wait-for.ts';
import { uniqueService, useRedis } from '../streams/test-fixtures/harness.ts';
import type { SpanRecord } from './span-ring.ts';
import { initTracing } from './tracing.ts';
import { currentCorrelationId } from './correlation.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tracing is process-wide; Vitest gives each test file its own worker.
const tracing = initTracing({ service: 'tracing-test', sampleRatio: 1, maxTracesPerSecond: 0 });
const t = useRedis();

describe('one flow is one trace: HTTP request -> event -> handler -> SQL and Redis', () => {
  let database: SqlDatabase;
  let consumer: Consumer;
  const upstreamTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const upstreamSpanId = '00f067aa0ba902b7';

  beforeAll(async () => {
    database = await openDatabase('memory://');
  });
  afterAll(async () => {
    await consumer?.close();
    await database?.close();
  });

  it('joins the caller trace and carries it through the stream into the consumer', async () => {
    const service = uniqueService('traced');
    const ThingAdded = defineEvent({ source: service, type: 'ThingAdded', schema: Type.Object({ name: Type.String() }) });
    const publisher = createPublisher({ redis: t.redis, service });
    const dir = mkdtempSync(join(tmpdir(), 'trib-lua-'));
    writeFileSync(join(dir, 'touch-1.lua'), "return redis.call('INCR', KEYS[1])");
    const touch = loadLuaScript(join(dir, 'touch-1.lua'));

    const handled: string[] = [];
    const correlations: Array<[string | undefined, string]> = [];
    consumer = createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', blockMs: 50 }).on(ThingAdded, async (event) => {
      correlations.push([currentCorrelationId(), event.correlationId]);
      await database.query('SELECT $1::text AS name', [event.data.name]);
      await runLuaScript(t.redis, touch, [`${service}:touched`], []);
      handled.push(event.data.name);
    });
    await consumer.start();

    const app = createHttpApp({ service });
    app.post('/things', { schema: { body: Type.Object({ name: Type.String() }) } }, async (request, reply) => {
      await publisher.publish(ThingAdded, { name: request.body.name }, { correlationId: 'thing-kettle' });
      return reply.status(202).send({ ok: true });
    });
    const response = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { traceparent: `00-${upstreamTraceId}-${upstreamSpanId}-01` },
      payload: { name: 'kettle' },
    });
    expect(response.statusCode).toBe(202);
    await waitFor(() => handled.includes('kettle'), { description: 'event handled' });
    // The handler runs with its event's correlation id in scope (the logger adds it to every line).
    expect(correlations).toEqual([['thing-kettle', 'thing-kettle']]);

    const spans = await waitFor(
      () => {
        const found = tracing.ring.trace(upstreamTraceId);
        return found.some((span) => span.name === 'EVALSHA touch') ? found : null;
      },
      { description: 'all spans of the trace recorded' },
    );
    const byName = (name: string) => spans.find((span) => span.name === name) as SpanRecord;
    const server = byName('POST /things');
    const produce = byName(`XADD ${publisher.stream}`);
    const handle = byName('handle ThingAdded');
    const select = byName('SELECT');
    const script = byName('EVALSHA touch');
    expect(server).toMatchObject({ kind: 'server', parentSpanId: upstreamSpanId, service: 'tracing-test' });
    expect(server.attributes['http.response.status_code']).toBe(202);
    expect(produce).toMatchObject({ kind: 'producer', parentSpanId: server.spanId });
    expect(handle).toMatchObject({ kind: 'consumer', parentSpanId: server.spanId });
    expect(handle.attributes['tributary.event.type']).toBe('ThingAdded');
    expect(select).toMatchObject({ kind: 'client', parentSpanId: handle.spanId });
    expect(select.attributes['db.query.text']).toBe('SELECT $1::text AS name');
    expect(script).toMatchObject({ kind: 'client', parentSpanId: handle.spanId });

    // The same spans through the process's /traces endpoint.
    const served = await app.inject({ method: 'GET', url: `/traces?traceId=${upstreamTraceId}` });
    expect(served.statusCode).toBe(200);
    const body = served.json() as { enabled: boolean; spans: SpanRecord[] };
    expect(body.enabled).toBe(true);
    expect(body.spans.map((span) => span.spanId)).toEqual(expect.arrayContaining([server.spanId, handle.spanId]));
    expect((await app.inject({ method: 'GET', url: '/traces?traceId=nope' })).statusCode).toBe(400);
    await app.close();
  });

  it('marks a failing handler span as an error, and does not trace probes', async () => {
    const service = uniqueService('failing');
    const Boom = defineEvent({ source: service, type: 'Boom', schema: Type.Object({}) });
    const publisher = createPublisher({ redis: t.redis, service });
    const failing = createConsumer({ redis: t.redis, stream: publisher.stream, group: 'g', blockMs: 50, maxAttempts: 1 }).on(Boom, async () => {
      throw new Error('kaboom');
    });
    await failing.start();
    try {
      await publisher.publish(Boom, {}, { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' });
      const span = await waitFor(() => tracing.ring.trace('11111111111111111111111111111111').find((candidate) => candidate.name === 'handle Boom') ?? null, {
        description: 'failed handler span',
      });
      expect(span.error).toBe('kaboom');
    } finally {
      await failing.close();
    }
    const app = createHttpApp({ service });
    const before = tracing.ring.recent(5_000).length;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(tracing.ring.recent(5_000).filter((span) => span.name.includes('/healthz'))).toEqual([]);
    expect(tracing.ring.recent(5_000).length).toBe(before);
    await app.close();
  });
});
