import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { monitoringRoutes } from './routes/monitoring.ts';
import { ordersRoutes } from './routes/orders.ts';
import { productsRoutes } from './routes/products.ts';
import { usersRoutes } from './routes/users.ts';
import { registerStreamMetrics } from './stream-metrics.ts';
import { callUpstream, type Upstreams } from './upstream.ts';

export interface GatewayDeps {
  bus: RedisClient;
  upstreams: Upstreams;
  logger?: Logger;
}

/** The public HTTP API. Builds the app without listening (tests use inject). */
export async function startGateway(deps: GatewayDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const app = createHttpApp({
    service: 'gateway',
    registry,
    ...(deps.logger ? { logger: deps.logger } : {}),
    readiness: {
      bus: () => deps.bus.ping(),
      ...Object.fromEntries(
        Object.entries(deps.upstreams).map(([name, base]) => [name, () => callUpstream(base, 'GET', '/healthz', { timeoutMs: 2_000 })]),
      ),
    },
  });
  registerStreamMetrics(registry, deps.bus);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tributary gateway', version: '0.1.0', description: 'Public HTTP API of the Tributary reference shop. Amounts are integer cents.' },
      tags: [{ name: 'users' }, { name: 'products' }, { name: 'orders' }, { name: 'monitoring' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const options = { upstreams: deps.upstreams };
  await app.register(usersRoutes, options);
  await app.register(productsRoutes, options);
  await app.register(ordersRoutes, options);
  await app.register(monitoringRoutes, options);
  await app.ready();
  return { app, close: () => app.close() };
}
