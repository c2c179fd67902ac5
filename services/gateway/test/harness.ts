import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { flushRedis, type RedisServer, startRedisServer } from 'tributary/testing';
import { startGateway } from '../src/app.ts';
import { gatewayDefaults, type GatewaySettings } from '../src/settings.ts';
import type { Upstreams } from '../src/upstream.ts';

export interface StubCall {
  service: keyof Upstreams;
  method: string;
  /** Path and query as the service received them. */
  path: string;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface StubAnswer {
  status: number;
  body?: unknown;
}

export type StubHandler = (call: StubCall) => StubAnswer | Promise<StubAnswer>;

export interface GatewayTestEnv {
  /** The bus Redis (streams), a real server of its own. */
  bus: RedisClient;
  /** The gateway's store Redis, a real server of its own. */
  store: RedisClient;
  /** Every request the stub services received, in order. */
  calls: StubCall[];
  /** How a stub service answers (default 404 NOT_FOUND); reset after each test. */
  stub(service: keyof Upstreams, handler: StubHandler): void;
  callsTo(service: keyof Upstreams): StubCall[];
  /**
   * Starts a gateway in-process on these Redis servers and the stubs (closed after the test); `upstreams` replaces stubs (e.g. a closed port).
   * Without `adminApiKey` it runs in open mode (routing tests); customer-auth and operator-auth tests pass a key.
   */
  start(settings?: Partial<GatewaySettings>, upstreams?: Partial<Upstreams>): Promise<HttpApp>;
}

const SERVICES: Array<keyof Upstreams> = ['accounts', 'catalog', 'ordering', 'fulfillment', 'orderMonitoring', 'basket', 'mailing', 'package', 'delivery', 'deliveryHistory', 'lending'];

/**
 * The gateway with real Redis servers (bus and store) and one real HTTP
 * server standing in for every upstream service, each under its own path
 * prefix (`/accounts/...`), so tests see exactly what the gateway sends.
 */
export function useGateway(): GatewayTestEnv {
  const servers: RedisServer[] = [];
  const apps: HttpApp[] = [];
  const handlers = new Map<keyof Upstreams, StubHandler>();
  let stubServer: Server;
  let stubUrl = '';
  const env = { calls: [] as StubCall[] } as GatewayTestEnv;

  beforeAll(async () => {
    const [bus, store] = await Promise.all([startRedisServer(), startRedisServer()]);
    servers.push(bus, store);
    env.bus = await connectRedis(bus.url);
    env.store = await connectRedis(store.url);
    stubServer = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const [, service = '', ...rest] = (request.url ?? '/').split('/');
        const text = Buffer.concat(chunks).toString('utf8');
        const call: StubCall = {
          service: service as keyof Upstreams,
          method: request.method ?? 'GET',
          path: `/${rest.join('/')}`,
          body: text ? JSON.parse(text) : undefined,
          headers: request.headers,
        };
        // The gateway's GET /metrics scrapes every service: not a call a test is about.
        if (call.method === 'GET' && call.path === '/metrics') {
          response.writeHead(404, { 'content-type': 'text/plain' });
          response.end('stub services have no metrics');
          return;
        }
        env.calls.push(call);
        const handler = handlers.get(call.service);
        const answer = handler ? await handler(call) : { status: 404, body: { error: 'NOT_FOUND', message: `stub ${service} has no handler` } };
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => stubServer.listen(0, '127.0.0.1', resolve));
    const address = stubServer.address();
    if (!address || typeof address !== 'object') throw new Error('stub server has no port');
    stubUrl = `http://127.0.0.1:${address.port}`;
  });
  beforeEach(async () => {
    await Promise.all([flushRedis(env.bus), flushRedis(env.store)]);
  });
  afterEach(async () => {
    handlers.clear();
    env.calls.length = 0;
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await new Promise((resolve) => stubServer?.close(resolve));
    await Promise.all([env.bus?.close(), env.store?.close()]);
    await Promise.all(servers.map((server) => server.stop()));
  });

  env.stub = (service, handler) => handlers.set(service, handler);
  env.callsTo = (service) => env.calls.filter((call) => call.service === service);
  env.start = async (settings = {}, overrides = {}) => {
    const upstreams = { ...(Object.fromEntries(SERVICES.map((service) => [service, `${stubUrl}/${service}`])) as unknown as Upstreams), ...overrides };
    const { app } = await startGateway({ bus: env.bus, store: env.store, upstreams, settings: { ...gatewayDefaults, ...settings } });
    apps.push(app);
    return app;
  };
  return env;
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
export function cookieFrom(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) throw new Error('no Set-Cookie header');
  return first.split(';')[0] as string;
}

/** A counter's value from the gateway's /metrics text. */
export async function metricValue(app: HttpApp, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

export const user = { id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com', country: 'GB', address: null, createdAt: '2024-01-01T00:00:00.000Z' };
export const product = {
  id: 'p-1',
  sku: 'SKU-1',
  name: 'Haggis',
  priceCents: 1_250,
  bannedCountries: ['US'],
  digital: false,
  createdAt: '2024-01-01T00:00:00.000Z',
};
