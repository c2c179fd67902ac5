import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, SERVICE_HEADER, type HttpApp } from 'tributary/http';
import { callUpstream, upstreamsFromEnv } from '../src/upstream.ts';

/**
 * While a service restarts, another process may be given its port for a
 * moment (the chaos test saw the gateway relay another service's
 * 404 "no route for POST /orders" while ordering restarted). An answer that
 * names another service is a 503 to retry, never relayed.
 */
describe('an upstream port answered by another service', () => {
  const apps: HttpApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function serve(service: string): Promise<string> {
    const app = createHttpApp({ service });
    app.post('/orders', async (_request, reply) => reply.status(202).send({ orderId: 'o-1' }));
    apps.push(app);
    return (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  }

  function envWith(orderingUrl: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of ['ACCOUNTS', 'CATALOG', 'FULFILLMENT', 'ORDER_MONITORING', 'BASKET', 'MAILING', 'PACKAGE', 'DELIVERY', 'DELIVERY_HISTORY', 'LENDING']) {
      env[`${name}_URL`] = 'http://127.0.0.1:1';
    }
    env.ORDERING_URL = orderingUrl;
    return env;
  }

  it('is 503 SERVICE_UNAVAILABLE when the answer names another service; the right one is relayed', async () => {
    const stranger = await serve('catalog');
    const upstreams = upstreamsFromEnv(envWith(stranger));
    await expect(callUpstream(upstreams.ordering, 'POST', '/orders', { body: {} })).rejects.toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });

    const ordering = await serve('ordering');
    const answer = await callUpstream(upstreamsFromEnv(envWith(ordering)).ordering, 'POST', '/orders', { body: {} });
    expect(answer).toEqual({ status: 202, body: { orderId: 'o-1' } });
  });

  it('every kit service names itself on every answer, a 404 included', async () => {
    const url = await serve('ordering');
    for (const path of ['/healthz', '/no-such-route']) {
      const response = await fetch(`${url}${path}`);
      expect(response.headers.get(SERVICE_HEADER), path).toBe('ordering');
    }
  });
});
