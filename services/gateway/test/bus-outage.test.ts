import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import { freePort, startRedisServer, waitFor, type RedisServer } from 'tributary/testing';
import { startGateway } from '../src/app.ts';
import { gatewayDefaults } from '../src/settings.ts';
import type { Upstreams } from '../src/upstream.ts';

interface Row {
  name: string;
  up: boolean;
  error: string | null;
}

/**
 * With its bus Redis gone, the operator views say so at once (503, and the
 * server shown down) instead of hanging on node-redis's offline queue, and
 * they recover by themselves when the server is back on the same AOF.
 */
describe('the gateway while the bus Redis is down', () => {
  const servers: RedisServer[] = [];
  const clients: RedisClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => client.destroy())));
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('answers the operator views with 503 and shows bus-redis down, then recovers when it restarts', async () => {
    let bus = await startRedisServer({ appendOnly: true });
    const store = await startRedisServer();
    servers.push(store);
    const busClient = await connectRedis(bus.url);
    const storeClient = await connectRedis(store.url);
    clients.push(busClient, storeClient);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const upstreams = new Proxy({}, { get: () => nowhere }) as Upstreams;
    const { app, close } = await startGateway({ bus: busClient, store: storeClient, upstreams, settings: gatewayDefaults });
    try {
      const services = async () => ((await app.inject({ method: 'GET', url: '/api/system/services' })).json() as { services: Row[] }).services;
      expect((await services()).find((row) => row.name === 'bus-redis')).toMatchObject({ up: true, error: null });
      expect((await services()).find((row) => row.name === 'store-redis')).toMatchObject({ up: true });
      expect((await app.inject({ method: 'GET', url: '/api/system/streams' })).statusCode).toBe(200);

      await bus.kill();
      // The streams view would otherwise wait for the reconnect; the test's own timeout is the failure.
      const streams = await app.inject({ method: 'GET', url: '/api/system/streams' });
      expect(streams.statusCode).toBe(503);
      expect(streams.json()).toMatchObject({ error: 'BUS_UNAVAILABLE' });
      const dead = await app.inject({ method: 'GET', url: '/api/admin/dead-letters?stream=ordering:events' });
      expect(dead.statusCode).toBe(503);
      const rows = await services();
      expect(rows.find((row) => row.name === 'bus-redis')).toMatchObject({ up: false, error: expect.any(String) });
      expect(rows.find((row) => row.name === 'store-redis')).toMatchObject({ up: true });
      expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'not ready', failures: { bus: expect.any(String) } });

      bus = await bus.restart();
      servers.push(bus);
      await waitFor(async () => (await app.inject({ method: 'GET', url: '/api/system/streams' })).statusCode === 200, { timeoutMs: 20_000, description: 'the streams view back' });
      expect((await services()).find((row) => row.name === 'bus-redis')).toMatchObject({ up: true });
    } finally {
      await close();
    }
  });
});
