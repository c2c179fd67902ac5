import { describe, expect, it } from 'vitest';
import { useGateway } from './harness.ts';

const t = useGateway();

const traceId = 'a'.repeat(32);
const span = (spanId: string, service: string, startedAt: string, parentSpanId: string | null = null) => ({
  traceId,
  spanId,
  parentSpanId,
  name: `work in ${service}`,
  kind: 'server',
  service,
  startedAt,
  durationMs: 1.5,
  error: null,
  attributes: { 'http.route': '/x', 'http.response.status_code': 200, ok: true },
});

describe('GET /api/traces/:traceId', () => {
  it("merges every service's spans of the trace by start time; services that do not answer are listed as missing", async () => {
    const root = span('1'.repeat(16), 'ordering', '2024-01-01T00:00:00.000Z');
    const child = span('2'.repeat(16), 'accounts', '2024-01-01T00:00:00.005Z', root.spanId);
    const grandchild = span('3'.repeat(16), 'ordering', '2024-01-01T00:00:00.010Z', child.spanId);
    t.stub('ordering', (call) => ({ status: 200, body: { service: 'ordering', enabled: true, spans: call.path.startsWith(`/traces?traceId=${traceId}`) ? [grandchild, root] : [] } }));
    // Reported twice (processes sharing a ring), and one span of another trace that must not leak in.
    t.stub('accounts', () => ({ status: 200, body: { service: 'accounts', enabled: true, spans: [child, child, { ...child, spanId: '9'.repeat(16), traceId: 'b'.repeat(32) }] } }));
    t.stub('mailing', () => ({ status: 200, body: { service: 'mailing', enabled: false, spans: [] } }));
    t.stub('catalog', () => ({ status: 500, body: { error: 'INTERNAL', message: 'boom' } }));
    const app = await t.start();

    const response = await app.inject({ method: 'GET', url: `/api/traces/${traceId}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.traceId).toBe(traceId);
    expect(body.spans).toEqual([root, child, grandchild]);
    expect(body.missing).toContain('catalog');
    expect(body.missing).toContain('delivery-history');
    expect(body.missing).not.toContain('ordering');
    expect(body.missing).not.toContain('mailing');
    expect(t.callsTo('ordering')[0]?.path).toBe(`/traces?traceId=${traceId}&limit=5000`);
  });

  it('answers 400 for a malformed trace id', async () => {
    const app = await t.start();
    expect((await app.inject({ method: 'GET', url: '/api/traces/not-a-trace' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/traces/${'A'.repeat(32)}` })).statusCode).toBe(400);
  });
});
