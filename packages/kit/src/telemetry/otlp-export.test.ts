import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { initTracing, withSpan } from './tracing.ts';

// A real HTTP receiver standing in for an OpenTelemetry collector: the
// exporter under test is the real one, over a real socket.
const received: Array<{ path: string; contentType: string; body: string }> = [];
const collector = createServer((request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({ path: request.url ?? '', contentType: String(request.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

it('exports spans by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and keeps them in the ring too', async () => {
  const { port } = collector.address() as AddressInfo;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  // Every trace recorded: this test starts one root span and looks for it.
  const tracing = initTracing({ service: 'otlp-test', sampleRatio: 1, maxTracesPerSecond: 0 });
  await withSpan('checkout', {}, async () => undefined);
  await tracing.shutdown();
  const request = await waitFor(() => received.find((candidate) => candidate.body.includes('checkout')) ?? null, { description: 'span exported' });
  expect(request.path).toBe('/v1/traces');
  expect(request.body).toContain('otlp-test');
  expect(tracing.ring.recent(10).map((span) => span.name)).toContain('checkout');
});
