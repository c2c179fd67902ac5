import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { connectRedis, createPublisher, groupsOf, type Envelope, type EventData, type Publisher, type RedisClient } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { createLogger } from 'tributary/service';
import { flushRedis, readEnvelopes, type RedisServer, startRedisServer, waitFor } from 'tributary/testing';
import { CheckoutRequested, ProductCreated, UserRegistered } from '@tributary/contracts';
import { startBasket, type BasketDeps, type BasketService } from '../src/app.ts';
import { createProductStore } from '../src/store/product-store.ts';
import { createUserStore } from '../src/store/user-store.ts';

export type CheckoutEvent = Envelope<EventData<typeof CheckoutRequested>>;

export interface BasketTestEnv {
  /** Streams only. */
  bus: RedisClient;
  /** The basket's own data: another server, so nothing can depend on them being one. */
  store: RedisClient;
  busServer: RedisServer;
  catalog: Publisher;
  ordering: Publisher;
  accounts: Publisher;
  /** Starts an instance (closed after the test). */
  start(options?: Partial<Pick<BasketDeps, 'ttlSeconds' | 'sweep' | 'consumer' | 'instance'>>): Promise<BasketService>;
  /** Publishes UserRegistered and waits until the basket knows the user (an instance must be running). */
  registerUser(userId: string): Promise<void>;
  /** Publishes ProductCreated and waits until the basket has copied it. */
  createProduct(product?: { productId?: string; name?: string; priceCents?: number }): Promise<string>;
  request(app: HttpApp, method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  put(app: HttpApp, userId: string, productId: string, quantity: number): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Every CheckoutRequested on 'basket:events', in stream order. */
  checkoutEvents(): Promise<CheckoutEvent[]>;
  /** Waits until group 'basket' has read and acked everything on `stream`. */
  drained(stream: string): Promise<void>;
}

export function useBasket(): BasketTestEnv {
  const servers: RedisServer[] = [];
  const clients: RedisClient[] = [];
  let running: BasketService[] = [];
  const logger = createLogger('basket', process.env.TEST_LOG ?? 'silent');
  const env = {} as BasketTestEnv;

  beforeAll(async () => {
    const [bus, store] = await Promise.all([startRedisServer(), startRedisServer()]);
    servers.push(bus, store);
    env.busServer = bus;
    env.bus = await connectRedis(bus.url);
    env.store = await connectRedis(store.url);
    clients.push(env.bus, env.store);
    env.catalog = createPublisher({ redis: env.bus, service: 'catalog' });
    env.ordering = createPublisher({ redis: env.bus, service: 'ordering' });
    env.accounts = createPublisher({ redis: env.bus, service: 'accounts' });
  });
  beforeEach(async () => {
    await Promise.all([flushRedis(env.bus), flushRedis(env.store)]);
  });
  afterEach(async () => {
    const closing = running;
    running = [];
    await Promise.all(closing.map((instance) => instance.close()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => (client.isOpen ? client.close() : undefined)));
    await Promise.all([env.busServer, ...servers.slice(1)].map((server) => server.stop()));
    // A restarted server reuses the first one's directory, which stop() then leaves behind.
    for (const server of servers) rmSync(server.dir, { recursive: true, force: true });
  });

  env.start = async (options = {}) => {
    const instance = await startBasket({
      bus: env.bus,
      store: env.store,
      logger,
      instance: options.instance ?? `basket-test-${randomBytes(3).toString('hex')}`,
      consumer: { blockMs: 100, backoffBaseMs: 20, backoffMaxMs: 200, ...options.consumer },
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      // Tests that are not about the sweep keep it out of the way.
      sweep: { intervalMs: 60_000, afterMs: 60_000, ...options.sweep },
    });
    running.push(instance);
    return instance;
  };

  env.registerUser = async (userId) => {
    await env.accounts.publish(UserRegistered, { userId, name: `User ${userId}`, email: `${userId}@example.com`, country: 'GB', address: null });
    const users = createUserStore(env.store);
    await waitFor(() => users.known(userId), { description: `user ${userId} known` });
  };

  env.createProduct = async (product = {}) => {
    const productId = product.productId ?? randomUUID();
    await env.catalog.publish(ProductCreated, {
      productId,
      sku: `SKU-${productId.slice(0, 8)}`,
      name: product.name ?? 'Haggis',
      priceCents: product.priceCents ?? 1_250,
      stock: 10,
      bannedCountries: [],
    });
    const products = createProductStore(env.store);
    await waitFor(async () => (await products.getMany([productId])).has(productId), { description: `product ${productId} copied` });
    return productId;
  };

  env.request = async (app, method, url, payload) => {
    const response = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };

  env.put = (app, userId, productId, quantity) => env.request(app, 'PUT', `/baskets/${userId}/items/${productId}`, { quantity });

  env.checkoutEvents = async () => (await readEnvelopes(env.bus, CheckoutRequested.stream)) as Array<CheckoutEvent>;

  env.drained = async (stream) => {
    await waitFor(async () => {
      const group = (await groupsOf(env.bus, stream)).find((info) => info.name === 'basket');
      return group !== undefined && group.lag === 0 && group.pending === 0;
    }, { description: `group basket drained ${stream}` });
  };

  return env;
}
