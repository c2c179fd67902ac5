import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { serverSentEvents, type SendEvent } from 'tributary/http';
import { CUSTOMER_SECURITY, ownerOf } from '../access.ts';
import { ADMIN_SECURITY } from '../admin.ts';
import { gatewayError } from '../errors.ts';
import { callUpstream, relay, type UpstreamReply, type Upstreams } from '../upstream.ts';
import { adminErrors, customerErrors, errors, unavailableAs503, type RouteContext } from './context.ts';
import {
  AnalyticsQuery,
  DeliveryAnalytics,
  DeliveryHistory,
  DeliveryView,
  DroneList,
  DroneQueue,
  DronesQuery,
  IdParams,
  PackageList,
  PackagesQuery,
  PackageView,
} from './schemas.ts';

function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  return params.toString();
}

/** The customer whose order a delivery carries: asked of ordering only when a customer (not the operator) asks. */
function deliveryOwner(upstreams: Upstreams, answer: UpstreamReply): () => Promise<string | undefined> {
  return async () => {
    const orderId = (answer.body as { orderId?: unknown } | null)?.orderId;
    if (typeof orderId !== 'string') return undefined;
    const order = await callUpstream(upstreams.ordering, 'GET', `/orders/${encodeURIComponent(orderId)}`);
    return order.status === 200 ? ownerOf(order.body) : undefined;
  };
}

const HistoryRecord = TypeCompiler.Compile(DeliveryHistory);

/**
 * A delivery that delivery no longer holds: it keeps a finished one only
 * DELIVERY_RETENTION_SECONDS after history recorded it. delivery-history has
 * it from then on, so the live view answers from there (no drone, position,
 * battery or ETA: the flight is over) and a customer's link keeps working.
 * Unknown to history too: delivery's own 404.
 */
async function finishedFromHistory(upstreams: Upstreams, deliveryId: string, notLive: UpstreamReply): Promise<UpstreamReply> {
  const answer = await callUpstream(upstreams.deliveryHistory, 'GET', `/deliveries/${encodeURIComponent(deliveryId)}/history`);
  if (answer.status === 404) return notLive;
  if (answer.status !== 200) return answer;
  if (!HistoryRecord.Check(answer.body)) throw gatewayError('SERVICE_UNAVAILABLE', 'delivery-history answered an unexpected shape');
  const finished = answer.body;
  const view: Static<typeof DeliveryView> = {
    deliveryId: finished.deliveryId,
    packageId: finished.packageId,
    orderId: finished.orderId,
    status: finished.status,
    droneId: null,
    position: null,
    batteryPct: null,
    etaSeconds: null,
    reason: finished.reason,
    updatedAt: finished.finishedAt,
    steps: finished.steps,
  };
  return { status: 200, body: view };
}

/**
 * Drone delivery, each part owned by its service: package (documents),
 * delivery (live status in Redis), delivery-history (lookup store and lake).
 * A package or delivery is its customer's (it shows where they live); the
 * fleet-wide views (every package, drone, position, the queue, analytics)
 * are the operator's.
 */
export const deliveriesRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, positions, access, requireAdmin }) => {
  const operator = { onRequest: requireAdmin };
  const events = serverSentEvents(app);
  app.get(
    '/api/packages/:id',
    {
      schema: {
        tags: ['delivery'],
        summary: 'A package (a document in the package service)',
        security: CUSTOMER_SECURITY,
        params: IdParams,
        response: { 200: PackageView, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      await access.requireSignedIn(request, reply);
      const answer = await callUpstream(upstreams.package, 'GET', `/packages/${request.params.id}`);
      if (answer.status === 200) await access.requireCustomer(request, reply, ownerOf(answer.body));
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/packages',
    {
      ...operator,
      schema: {
        tags: ['delivery'],
        summary: 'Packages with a tag, page by page (`after` = the previous page\'s `next`)',
        security: ADMIN_SECURITY,
        querystring: PackagesQuery,
        response: { 200: PackageList, ...errors(400), ...adminErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.package, 'GET', `/packages?${queryString(request.query)}`)),
  );
  app.get(
    '/api/deliveries/live',
    {
      ...operator,
      schema: {
        tags: ['delivery'],
        summary: 'Server-sent events: every drone position as delivery applies it (fire and forget; for the dashboard)',
        security: ADMIN_SECURITY,
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const subscribe = (send: SendEvent) => positions.listen((position) => send('position', position));
      await events.open(request, reply, unavailableAs503(subscribe, 'live positions need the event bus, try again'), { comment: 'positions of drones in flight' });
    },
  );
  app.get(
    '/api/deliveries/queue',
    {
      ...operator,
      schema: {
        tags: ['delivery'],
        summary: 'Deliveries waiting for a drone (demand beyond the fleet): how many, the oldest wait, and the wait limit past which one fails NO_DRONE_AVAILABLE',
        security: ADMIN_SECURITY,
        response: { 200: DroneQueue, ...adminErrors },
      },
    },
    async (_request, reply) => relay(reply, await callUpstream(upstreams.delivery, 'GET', '/deliveries/queue')),
  );
  app.get(
    '/api/deliveries/:id',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Live status of a delivery: status, drone, position, ETA while in flight; a finished one from delivery-history once delivery let it go (drone, position, battery and ETA null)',
        security: CUSTOMER_SECURITY,
        params: IdParams,
        response: { 200: DeliveryView, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      await access.requireSignedIn(request, reply);
      const live = await callUpstream(upstreams.delivery, 'GET', `/deliveries/${request.params.id}`);
      const answer = live.status === 404 ? await finishedFromHistory(upstreams, request.params.id, live) : live;
      if (answer.status === 200) await access.requireCustomer(request, reply, deliveryOwner(upstreams, answer));
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/deliveries/:id/history',
    {
      schema: {
        tags: ['delivery'],
        summary: 'A finished delivery from delivery-history (its lookup store, or the data lake once archived)',
        security: CUSTOMER_SECURITY,
        params: IdParams,
        response: { 200: DeliveryHistory, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      await access.requireSignedIn(request, reply);
      const answer = await callUpstream(upstreams.deliveryHistory, 'GET', `/deliveries/${request.params.id}/history`);
      if (answer.status === 200) await access.requireCustomer(request, reply, deliveryOwner(upstreams, answer));
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/drones',
    {
      ...operator,
      schema: {
        tags: ['delivery'],
        summary: 'Drones in flight near a point (lat, lon; radiusKm default 50), nearest first; without a point, every drone in flight (at most 100)',
        security: ADMIN_SECURITY,
        querystring: DronesQuery,
        response: { 200: DroneList, ...errors(400), ...adminErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.delivery, 'GET', `/drones?${queryString(request.query)}`)),
  );
  app.get(
    '/api/analytics/deliveries',
    {
      ...operator,
      schema: {
        tags: ['delivery'],
        summary: 'Deliveries per day, average duration and failure rate by cause over a date range (DuckDB over the lake)',
        security: ADMIN_SECURITY,
        querystring: AnalyticsQuery,
        response: { 200: DeliveryAnalytics, ...errors(400), ...adminErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.deliveryHistory, 'GET', `/analytics/deliveries?${queryString(request.query)}`, { timeoutMs: 60_000 })),
  );
};
