import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrderPlaced, ProductCreated } from '@tributary/contracts';
import { createPublisher, moveToDeadLetters } from 'tributary';
import { startGateway } from '../src/app.ts';
import { OBSERVED_STREAMS } from '../src/stream-metrics.ts';
import type { Upstreams } from '../src/upstream.ts';
import { useGateway } from './harness.ts';
import { useUpstreams } from './upstreams.ts';

const t = useGateway();
const upstreams = useUpstreams();

const placed = { orderId: 'o-1', userId: 'u-1', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 100 }], totalCents: 100 };

describe('GET /api/system/services', () => {
  it("lists the gateway and every service with what their /healthz says; a service that does not answer, or answers as another, is down, with why", async () => {
    const ordering = await upstreams.start('ordering');
    const catalog = await upstreams.start('catalog');
    const down = await upstreams.down();
    const app = await t.start({}, { ordering: ordering.url, catalog: catalog.url, accounts: down, shelving: catalog.url });
    const response = await app.inject({ method: 'GET', url: '/api/system/services' });
    expect(response.statusCode).toBe(200);
    const services = response.json().services as Array<Record<string, unknown>>;
    const byName = new Map(services.map((service) => [service.name, service]));
    expect(services[0]).toMatchObject({ name: 'gateway', up: true, pid: process.pid, error: null });
    expect(byName.get('ordering')).toMatchObject({ url: ordering.url, up: true, pid: process.pid, version: expect.any(String), error: null });
    expect(byName.get('ordering')?.uptimeSeconds).toEqual(expect.any(Number));
    expect(byName.get('ordering')?.startedAt).toEqual(expect.any(String));
    expect(byName.get('ordering')?.rssBytes).toBeGreaterThan(0);
    expect(byName.get('ordering')?.heapUsedBytes).toBeGreaterThan(0);
    expect(byName.get('accounts')).toMatchObject({ url: down, up: false, version: null, pid: null, uptimeSeconds: null, rssBytes: null, error: 'ECONNREFUSED' });
    // Optional services are listed under their service names, camelCase keys in kebab-case.
    // A port that answers as another service (a dead instance's port taken by another process) is not this one up.
    expect(byName.get('shelving')).toMatchObject({ url: catalog.url, up: false, error: 'its port answers as catalog' });
    expect(byName.has('order-monitoring')).toBe(true);
    expect(byName.has('delivery-history')).toBe(true);
    expect(byName.has('drone-sim')).toBe(false);
  });
});

describe('GET /api/system/streams', () => {
  it('shows every observed stream: length, entries added, groups with lag, pending and consumers, dead letters', async () => {
    const app = await t.start();
    const ordering = createPublisher({ redis: t.bus, service: 'ordering' });
    const catalog = createPublisher({ redis: t.bus, service: 'catalog' });
    for (let i = 1; i <= 3; i++) await ordering.publish(OrderPlaced, { ...placed, orderId: `o-${i}` });
    const productId = await catalog.publish(ProductCreated, { productId: 'p-1', sku: 'S', name: 'Tea', priceCents: 100, stock: 1, bannedCountries: [], digital: false });
    await t.bus.sendCommand(['XGROUP', 'CREATE', 'ordering:events', 'accounts', '0']);
    // accounts' consumer reads two of three and acks none: two pending, one not yet delivered.
    await t.bus.sendCommand(['XREADGROUP', 'GROUP', 'accounts', 'accounts-0', 'COUNT', '2', 'STREAMS', 'ordering:events', '>']);
    await moveToDeadLetters(t.bus, 'catalog:events', { id: productId, fields: { type: 'ProductCreated', data: '{}' } }, { group: 'g', consumer: 'c', handler: 'h', error: 'boom', attempts: 3 });

    const response = await app.inject({ method: 'GET', url: '/api/system/streams' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Date.parse(body.at)).not.toBeNaN();
    expect(body.streams.map((stream: { stream: string }) => stream.stream)).toEqual([...OBSERVED_STREAMS]);
    const byName = new Map(body.streams.map((stream: { stream: string }) => [stream.stream, stream]));
    expect(byName.get('ordering:events')).toMatchObject({
      length: 3,
      entriesAdded: 3,
      deadLetters: 0,
      groups: [{ name: 'accounts', lag: 1, pending: 2, consumers: [{ name: 'accounts-0', pending: 2, idleMs: expect.any(Number) }] }],
    });
    expect(byName.get('catalog:events')).toMatchObject({ length: 1, lastId: productId, deadLetters: 1, groups: [] });
    expect(byName.get('mailing:events')).toEqual({ stream: 'mailing:events', length: 0, entriesAdded: 0, lastId: null, deadLetters: 0, groups: [] });
  });

  it('answers 503 BUS_UNAVAILABLE when the bus is gone, not 500', async () => {
    const closed = t.bus.duplicate();
    await closed.connect();
    closed.destroy();
    const down = await upstreams.down();
    const everywhere = Object.fromEntries(
      ['accounts', 'catalog', 'ordering', 'fulfillment', 'orderMonitoring', 'basket', 'mailing', 'package', 'delivery', 'deliveryHistory', 'lending'].map((name) => [name, down]),
    ) as unknown as Upstreams;
    const gateway = await startGateway({ bus: closed, store: t.store, upstreams: everywhere });
    try {
      const response = await gateway.app.inject({ method: 'GET', url: '/api/system/streams' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toBe('BUS_UNAVAILABLE');
    } finally {
      await gateway.close();
    }
  });
});

describe('GET /asyncapi.json', () => {
  it('serves docs/asyncapi.json as it is checked in', async () => {
    const app = await t.start();
    const response = await app.inject({ method: 'GET', url: '/asyncapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.body).toBe(readFileSync(resolve(import.meta.dirname, '../../../docs/asyncapi.json'), 'utf8'));
  });
});
