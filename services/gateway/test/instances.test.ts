import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { freePort } from 'tributary/testing';
import { callUpstream, instanceUrls, observedServices, upstreamsFromEnv } from '../src/upstream.ts';

/**
 * Several instances of a service (`npm start --scale`): the gateway learns
 * them from `<NAME>_URLS`, spreads calls over them in turn, and skips one
 * that refuses the connection, so a dead instance costs no 503.
 */
describe('a service with several instances', () => {
  const apps: HttpApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  /** A real kit app of `ordering` that says which instance answered. */
  async function instance(name: string): Promise<string> {
    const app = createHttpApp({ service: 'ordering', internalKey: null });
    app.post('/orders', async (_request, reply) => reply.status(202).send({ instance: name }));
    apps.push(app);
    return (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  }

  function envWith(ordering: { url?: string; urls?: string[] }): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of ['ACCOUNTS', 'CATALOG', 'FULFILLMENT', 'ORDER_MONITORING', 'BASKET', 'MAILING', 'PACKAGE', 'DELIVERY', 'DELIVERY_HISTORY', 'LENDING']) {
      env[`${name}_URL`] = 'http://127.0.0.1:1';
    }
    if (ordering.url) env.ORDERING_URL = ordering.url;
    if (ordering.urls) env.ORDERING_URLS = ordering.urls.join(',');
    return env;
  }

  const answeredBy = async (base: string) => ((await callUpstream(base, 'POST', '/orders', { body: {} })).body as { instance: string }).instance;

  it('takes turns over every instance', async () => {
    const urls = [await instance('ordering-0'), await instance('ordering-1'), await instance('ordering-2')];
    const upstreams = upstreamsFromEnv(envWith({ url: urls[0], urls }));
    expect(upstreams.ordering).toBe(urls[0]);
    expect(instanceUrls(upstreams.ordering)).toEqual(urls);
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await answeredBy(upstreams.ordering));
    expect(new Set(seen)).toEqual(new Set(['ordering-0', 'ordering-1', 'ordering-2']));
    // In turn: each instance once per round.
    expect(seen.slice(0, 3).sort()).toEqual(seen.slice(3).sort());
  });

  it('skips an instance that refuses the connection; 503 only when every one does', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const up = await instance('ordering-1');
    const upstreams = upstreamsFromEnv(envWith({ urls: [down, up] }));
    for (let i = 0; i < 4; i++) expect(await answeredBy(upstreams.ordering)).toBe('ordering-1');

    const allDown = upstreamsFromEnv(envWith({ urls: [down, `http://127.0.0.1:${await freePort()}`] }));
    await expect(callUpstream(allDown.ordering, 'POST', '/orders', { body: {} })).rejects.toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('lists every instance for the operator routes; <NAME>_URL alone is one instance', async () => {
    const urls = ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'];
    const rows = observedServices(upstreamsFromEnv(envWith({ url: urls[0], urls }))).filter((row) => row.name === 'ordering');
    expect(rows).toEqual(urls.map((url) => ({ name: 'ordering', url })));
    const single = upstreamsFromEnv(envWith({ url: 'http://127.0.0.1:7003/' }));
    expect(single.ordering).toBe('http://127.0.0.1:7003');
    expect(instanceUrls(single.ordering)).toEqual(['http://127.0.0.1:7003']);
  });

  it('refuses a list entry that is not a URL, naming the variable', () => {
    expect(() => upstreamsFromEnv(envWith({ urls: ['http://127.0.0.1:7001', 'not a url'] }))).toThrow(/ORDERING_URLS holds "not a url"/);
  });
});
