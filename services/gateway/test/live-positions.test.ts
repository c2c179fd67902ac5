import { describe, expect, it } from 'vitest';
import { DronePositions } from '@tributary/contracts';
import { createPubSubPublisher } from 'tributary/pubsub';
import { waitFor } from 'tributary/testing';
import { useGateway } from './harness.ts';

const t = useGateway();

describe('GET /api/deliveries/live', () => {
  it('streams drone positions from the bus pub/sub as server-sent events', async () => {
    const app = await t.start();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const response = await fetch(`${address}/api/deliveries/live`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);

    const publisher = createPubSubPublisher({ redis: t.bus });
    const position = { droneId: 'drone-7', deliveryId: 'd-7', status: 'IN_TRANSIT' as const, position: { lat: 51.5, lon: -0.1 }, batteryPct: 77, at: new Date().toISOString() };
    // Fire and forget: publish until the stream shows one (the subscription may not be live for the first).
    await waitFor(async () => {
      await publisher.publish(DronePositions, position);
      return received.includes('event: position');
    }, { description: 'a position arrived', intervalMs: 100 });
    const line = received.split('\n').find((text) => text.startsWith('data: '));
    expect(JSON.parse((line as string).slice('data: '.length))).toEqual(position);
    controller.abort();
    await reading;
  });
});
