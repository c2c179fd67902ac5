import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createIdempotencyStore, idempotencyHooks } from 'tributary/idempotency';
import { createSlidingWindowLimiter, createTokenBucketLimiter, rateLimitHook } from 'tributary/ratelimit';
import { createSessionPlugin, createSessionStore } from 'tributary/session';
import { registerProcessMetrics } from 'tributary/telemetry';
import { customerAccess } from './access.ts';
import { ADMIN_SECURITY, adminGuard, adminKeyMatcher, adminTokens } from './admin.ts';
import { csrfGuard } from './csrf.ts';
import { documentErrorCodes } from './error-codes.ts';
import { addSecurityHeaders } from './security-headers.ts';
import { adminSessionRoutes } from './routes/admin-session.ts';
import { idempotencyScope, rateLimitKeyExemptingAdmin, SessionUser } from './clients.ts';
import { gatewayKeys } from './keys.ts';
import { adminRoutes } from './routes/admin.ts';
import { basketsRoutes } from './routes/baskets.ts';
import type { RouteContext } from './routes/context.ts';
import { lendingRoutes } from './routes/lending.ts';
import { mailsRoutes } from './routes/mails.ts';
import { deliveriesRoutes } from './routes/deliveries.ts';
import { livePositions } from './live-positions.ts';
import { monitoringRoutes } from './routes/monitoring.ts';
import { ordersRoutes } from './routes/orders.ts';
import { productsRoutes } from './routes/products.ts';
import { sessionsRoutes } from './routes/sessions.ts';
import { usersRoutes } from './routes/users.ts';
import { asyncApiRoutes } from './routes/asyncapi.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { lendingRecentRoutes } from './routes/lending-recent.ts';
import { liveEventsRoutes } from './routes/live-events.ts';
import type { OpsContext } from './routes/ops-context.ts';
import { systemRoutes } from './routes/system.ts';
import { timelineRoutes } from './routes/timeline.ts';
import { tracesRoutes } from './routes/traces.ts';
import { liveEvents } from './live-events.ts';
import { serveMergedMetrics } from './metrics-merge.ts';
import { gatewayDefaults, type GatewaySettings } from './settings.ts';
import { OBSERVED_STREAMS, registerStreamMetrics } from './stream-metrics.ts';
import { callUpstream, observedServices, type Upstreams } from './upstream.ts';

export interface GatewayDeps {
  /** Streams: read-only for metrics, and dead letters for operators. */
  bus: RedisClient;
  /** The gateway's own data: sessions, rate limits, idempotency keys (prefix `gateway:`). */
  store: RedisClient;
  upstreams: Upstreams;
  settings?: GatewaySettings;
  logger?: Logger;
}

const openapi = {
  info: { title: 'Tributary gateway', version: '0.1.0', description: 'Public HTTP API of the Tributary reference shop. Amounts are integer cents.' },
  tags: ['sessions', 'users', 'products', 'baskets', 'orders', 'mails', 'monitoring', 'leaderboards', 'lending', 'admin', 'system'].map((name) => ({ name })),
  components: {
    securitySchemes: {
      adminKey: { type: 'apiKey' as const, in: 'header', name: 'x-api-key', description: 'ADMIN_API_KEY (npm start keeps it in .data/admin-key)' },
      adminBearer: { type: 'http' as const, scheme: 'bearer', description: 'ADMIN_API_KEY as a bearer token' },
      adminCookie: { type: 'apiKey' as const, in: 'cookie', name: 'tributary_admin', description: 'set by POST /api/admin/session' },
      session: { type: 'apiKey' as const, in: 'cookie', name: 'sid', description: 'set by POST /api/sessions' },
    },
  },
};

/** The public HTTP API. Builds the app without listening (tests use inject). */
export async function startGateway(deps: GatewayDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const settings = deps.settings ?? gatewayDefaults;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const app = createHttpApp({
    service: 'gateway',
    // The public door: its callers are customers and operators (admin key, sessions), never the internal key.
    internalKey: null,
    registry,
    ...(deps.logger ? { logger: deps.logger } : {}),
    readiness: {
      bus: () => deps.bus.ping(),
      store: () => deps.store.ping(),
      ...Object.fromEntries(
        Object.entries(deps.upstreams).map(([name, base]) => [name, () => callUpstream(base, 'GET', '/healthz', { timeoutMs: 2_000 })]),
      ),
    },
  });
  registerStreamMetrics(registry, deps.bus);
  const services = observedServices(deps.upstreams);
  // GET /metrics: the gateway's metrics and every service's, one scrape for the whole system.
  serveMergedMetrics(app, registry, () => services);
  addSecurityHeaders(app, {
    // The dashboard is the gateway's own static files: scripts, styles and
    // data from here only, never in a frame. Preact's style props are set
    // through the CSSOM, which a style-src without 'unsafe-inline' allows.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // HSTS only means something over TLS, which is when cookies are marked secure too.
    strictTransportSecurity: settings.session.secureCookie,
  });
  await app.register(swagger, {
    openapi,
    transformObject: (document) => ('openapiObject' in document ? documentErrorCodes(document.openapiObject) : document.swaggerObject),
  });
  // Swagger UI sets inline styles: /docs sends its own policy in place of the dashboard's, the same but for that.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'frame-ancestors': ["'none'"],
    },
  });

  const sessions = createSessionPlugin({
    store: createSessionStore({ redis: deps.store, prefix: gatewayKeys.sessions, schema: SessionUser, ttlSeconds: settings.session.ttlSeconds, registry }),
    cookie: { name: 'sid', secure: settings.session.secureCookie, ...(settings.session.secret ? { secret: settings.session.secret } : {}) },
  });
  await app.register(sessions.plugin);

  const positions = livePositions(deps.bus, registry);
  app.addHook('onClose', async () => positions.close());
  const events = liveEvents(deps.bus, OBSERVED_STREAMS, deps.logger ? { onError: (error) => deps.logger?.warn({ err: error }, 'live events: bus read failed') } : {});
  app.addHook('onClose', async () => events.close());

  // Operator sign-ins of the dashboard last as long as a customer session.
  const operatorTokens = adminTokens(deps.store, gatewayKeys.adminTokens, settings.session.ttlSeconds, settings.adminApiKey);
  const context: RouteContext = {
    upstreams: deps.upstreams,
    positions,
    bus: deps.bus,
    sessions,
    loginLimiter: createSlidingWindowLimiter({
      redis: deps.store,
      prefix: gatewayKeys.loginRateLimit,
      name: 'login',
      limit: settings.loginPerMinute,
      windowMs: 60_000,
      registry,
    }),
    idempotent: idempotencyHooks({
      store: createIdempotencyStore({ redis: deps.store, prefix: gatewayKeys.idempotency, ttlMs: settings.idempotencyTtlSeconds * 1000, registry }),
      scope: idempotencyScope,
    }),
    requireAdmin: adminGuard(settings.adminApiKey, operatorTokens),
    access: customerAccess(settings.adminApiKey, operatorTokens, sessions),
  };
  const apiLimiter = createTokenBucketLimiter({
    redis: deps.store,
    prefix: gatewayKeys.apiRateLimit,
    name: 'api',
    capacity: settings.rateLimit.burst,
    refillPerSecond: settings.rateLimit.perSecond,
    registry,
  });
  // One encapsulated context for /api/*: the limit guards the API, not /healthz, /metrics or /docs.
  const api: FastifyPluginAsync = async (scope) => {
    scope.addHook('onRequest', rateLimitHook({ limiter: apiLimiter, key: rateLimitKeyExemptingAdmin(adminKeyMatcher(settings.adminApiKey)) }));
    scope.addHook('onRequest', csrfGuard('sid'));
    for (const routes of [sessionsRoutes, usersRoutes, productsRoutes, basketsRoutes, ordersRoutes, mailsRoutes, deliveriesRoutes, lendingRoutes, monitoringRoutes, adminRoutes]) {
      await scope.register(routes, context);
    }
    await scope.register(adminSessionRoutes, {
      adminApiKey: settings.adminApiKey,
      tokens: operatorTokens,
      ttlSeconds: settings.session.ttlSeconds,
      secureCookie: settings.session.secureCookie,
    });
    // The operator's views (the dashboard's API): they show every event's data (names,
    // addresses), so they need the key or an operator sign-in (unless in open mode).
    const ops: OpsContext = { ...context, store: deps.store, services, streams: OBSERVED_STREAMS, liveEvents: events, timelineScanLimit: settings.timelineScanLimit };
    await scope.register(async (operator) => {
      operator.addHook('onRequest', context.requireAdmin);
      operator.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: ADMIN_SECURITY };
      });
      for (const routes of [systemRoutes, liveEventsRoutes, timelineRoutes, tracesRoutes, lendingRecentRoutes]) await operator.register(routes, ops);
    });
  };
  await app.register(api);
  await app.register(asyncApiRoutes);
  // The operator's dashboard (apps/dashboard/dist) at `/`, outside /api and its rate limit.
  await app.register(dashboardRoutes);
  await app.ready();
  return { app, close: () => app.close() };
}
