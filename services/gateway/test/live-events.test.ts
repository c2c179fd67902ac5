import { describe, expect, it } from 'vitest';
import { OrderPlaced, ProductCreated } from '@tributary/contracts';
import { createPublisher, forEachNode, isCluster, keySlot } from 'tributary';
import { waitFor } from 'tributary/testing';
import { liveEvents, LOOP_CONNECTION_NAME, type LiveEntry } from '../src/live-events.ts';
import { useGateway } from './harness.ts';

const t = useGateway();

const placed = { orderId: 'o-1', userId: 'u-1', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 100 }], totalCents: 100 };
const product = { productId: 'p-1', sku: 'S', name: 'Tea', priceCents: 100, stock: 1, bannedCountries: [], digital: false };

/** Reads a server-sent event stream into a growing list of `{event, data}`. */
async function subscribe(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = '';
  let ended = false;
  const reading = (async () => {
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
    ended = true;
  })().catch(() => undefined);
  return { response, events, ended: () => ended, close: async () => (controller.abort(), await reading) };
}

describe('GET /api/events/live', () => {
  it('streams new entries decoded, filtered by stream and type, from the moment of subscription', async () => {
    const ordering = createPublisher({ redis: t.bus, service: 'ordering' });
    const catalog = createPublisher({ redis: t.bus, service: 'catalog' });
    const before = await ordering.publish(OrderPlaced, { ...placed, orderId: 'o-before' });
    const app = await t.start();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const all = await subscribe(`${base}/api/events/live`);
    const orders = await subscribe(`${base}/api/events/live?stream=ordering:events&type=OrderPlaced`);
    expect(all.response.status).toBe(200);
    expect(all.response.headers.get('content-type')).toContain('text/event-stream');

    await catalog.publish(ProductCreated, product);
    const entryId = await ordering.publish(OrderPlaced, placed, { correlationId: 'o-1' });
    await waitFor(() => all.events.length >= 2 && orders.events.length >= 1, { description: 'both subscribers got their entries' });

    expect(all.events.map(({ data }) => (data as LiveEntry).type)).toEqual(['ProductCreated', 'OrderPlaced']);
    expect(orders.events).toHaveLength(1);
    const entry = orders.events[0] as { event: string; data: LiveEntry };
    expect(entry.event).toBe('entry');
    expect(entry.data).toMatchObject({ stream: 'ordering:events', entryId, type: 'OrderPlaced', version: 1, source: 'ordering', correlationId: 'o-1', causationId: null, data: placed });
    expect(entry.data.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(all.events.some(({ data }) => (data as LiveEntry).entryId === before)).toBe(false);
    await Promise.all([all.close(), orders.close()]);
  });

  it('answers 400 for an unknown stream or a malformed type', async () => {
    const app = await t.start();
    const unknown = await app.inject({ method: 'GET', url: '/api/events/live?stream=nope:events' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toBe('UNKNOWN_STREAM');
    const badType = await app.inject({ method: 'GET', url: '/api/events/live?type=a%20b' });
    expect(badType.statusCode).toBe(400);
    const extra = await app.inject({ method: 'GET', url: '/api/events/live?group=x' });
    expect(extra.statusCode).toBe(400);
  });

  it('ends open streams when the gateway closes', async () => {
    const app = await t.start();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const feed = await subscribe(`${base}/api/events/live`);
    await app.close();
    await waitFor(() => feed.ended(), { description: 'the stream ended' });
    await feed.close();
  });
});

describe('liveEvents: one XREAD loop for every listener', () => {
  it('starts with the first listener, fans out to all, and stops (its connection closed) with the last', async () => {
    // The loop's own connection, by its name on the bus.
    // Counted on every node: on a Redis Cluster (TRIBUTARY_TEST_REDIS=cluster) there is one loop per stream's slot.
    const loops = async () =>
      (await forEachNode(t.bus, async (node) => String(await node.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((line) => line.includes(`name=${LOOP_CONNECTION_NAME} `)).length)).reduce((sum, count) => sum + count, 0);
    const perGateway = isCluster(t.bus) ? new Set(['ordering:events', 'catalog:events'].map(keySlot)).size : 1;
    await waitFor(async () => (await loops()) === 0, { description: 'no loop from an earlier test' });
    const events = liveEvents(t.bus, ['ordering:events', 'catalog:events'], { blockMs: 200 });
    expect(events.running()).toBe(false);
    const first: LiveEntry[] = [];
    const second: LiveEntry[] = [];
    const stopFirst = await events.listen((entry) => first.push(entry));
    const stopSecond = await events.listen((entry) => second.push(entry));
    expect(events.running()).toBe(true);
    // On a cluster each loop's client holds a connection per node it knows; at least one loop per slot.
    if (isCluster(t.bus)) expect(await loops()).toBeGreaterThanOrEqual(perGateway);
    else expect(await loops()).toBe(perGateway);

    const ordering = createPublisher({ redis: t.bus, service: 'ordering' });
    await ordering.publish(OrderPlaced, placed);
    await ordering.publish(OrderPlaced, { ...placed, orderId: 'o-2' });
    await waitFor(() => first.length === 2 && second.length === 2, { description: 'both listeners got both entries' });
    expect(first.map((entry) => (entry.data as { orderId: string }).orderId)).toEqual(['o-1', 'o-2']);

    stopFirst();
    expect(events.running()).toBe(true);
    stopSecond();
    expect(events.running()).toBe(false);
    await waitFor(async () => (await loops()) === 0, { description: 'the loop connection closed' });

    // A new listener starts a new loop, from the streams' ends at that moment.
    const third: LiveEntry[] = [];
    const stopThird = await events.listen((entry) => third.push(entry));
    await ordering.publish(OrderPlaced, { ...placed, orderId: 'o-3' });
    await waitFor(() => third.length === 1, { description: 'the new loop delivers' });
    expect((third[0]?.data as { orderId: string }).orderId).toBe('o-3');
    stopThird();
    await events.close();
  });
});
