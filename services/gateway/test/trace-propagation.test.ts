import { describe, expect, it } from 'vitest';
import { currentTracing, initTracing, type SpanRecord } from 'tributary/telemetry';
import { waitFor } from 'tributary/testing';
import { useGateway } from './harness.ts';
import { useUpstreams } from './upstreams.ts';

// Tracing is process-wide (one OpenTelemetry provider): this file is the only gateway test that turns it on.
initTracing({ service: 'gateway', env: {}, sampleRatio: 1, maxTracesPerSecond: 0 });

const t = useGateway();
const upstreams = useUpstreams();

const order = {
  id: 'o-1', userId: 'u-1', totalCents: 100, customerName: null, deliveryId: null, status: 'AWAITING_PAYMENT',
  items: [], failureReason: null, history: [], createdAt: '2024-01-01T00:00:00.000Z',
};

function spanNamed(name: string): SpanRecord | undefined {
  return currentTracing()?.ring.recent(100).find((span) => span.name === name);
}

describe('trace context from the gateway to the services', () => {
  it("sends the request span's traceparent, so the service's request span is its child in the same trace", async () => {
    const received: Array<string | undefined> = [];
    const ordering = await upstreams.start('ordering', (app) => {
      app.get('/orders/:id', async (request) => {
        received.push(request.headers.traceparent as string | undefined);
        return order;
      });
    });
    const app = await t.start({}, { ordering: ordering.url });

    const response = await app.inject({ method: 'GET', url: '/api/orders/o-1' });
    expect(response.statusCode).toBe(200);
    const gatewaySpan = await waitFor(() => spanNamed('GET /api/orders/:id'), { description: "the gateway's request span ended" });
    const serviceSpan = await waitFor(() => spanNamed('GET /orders/:id'), { description: "the service's request span ended" });

    expect(received).toHaveLength(1);
    expect(received[0]).toBe(`00-${gatewaySpan.traceId}-${gatewaySpan.spanId}-01`);
    expect(serviceSpan.traceId).toBe(gatewaySpan.traceId);
    expect(serviceSpan.parentSpanId).toBe(gatewaySpan.spanId);

    // And the trace view puts both together (the gateway's ring and the service's /traces; the same ring here, reported once).
    const trace = (await app.inject({ method: 'GET', url: `/api/traces/${gatewaySpan.traceId}` })).json();
    expect(trace.spans.map((span: SpanRecord) => span.spanId)).toEqual([gatewaySpan.spanId, serviceSpan.spanId]);
    expect(trace.missing).not.toContain('ordering');
  });
});
