import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from 'tributary/http';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
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

/**
 * Drone delivery, each part owned by its service: package (documents),
 * delivery (live status in Redis), delivery-history (lookup store and lake).
 */
export const deliveriesRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, positions }) => {
  // Open event streams never end by themselves: end them so the server can close.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of streams) response.end();
  });
  app.get(
    '/api/packages/:id',
    { schema: { tags: ['delivery'], summary: 'A package (a document in the package service)', params: IdParams, response: { 200: PackageView, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.package, 'GET', `/packages/${request.params.id}`)),
  );
  app.get(
    '/api/packages',
    { schema: { tags: ['delivery'], summary: 'Packages with a tag, page by page (`after` = the previous page\'s `next`)', querystring: PackagesQuery, response: { 200: PackageList, ...errors(400) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.package, 'GET', `/packages?${queryString(request.query)}`)),
  );
  app.get(
    '/api/deliveries/live',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Server-sent events: every drone position as delivery applies it (fire and forget; for the dashboard)',
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const response = reply.raw;
      let open = false;
      let stop: () => void;
      try {
        stop = await positions.listen((position) => {
          if (open) response.write(`event: position\ndata: ${JSON.stringify(position)}\n\n`);
        });
      } catch {
        throw new HttpError(503, 'BUS_UNAVAILABLE', 'live positions need the event bus, try again');
      }
      reply.hijack();
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      response.write(': positions of drones in flight\n\n');
      open = true;
      streams.add(response);
      // Comments keep proxies from closing an idle stream.
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
      request.raw.on('close', () => {
        clearInterval(keepAlive);
        stop();
        streams.delete(response);
      });
    },
  );
  app.get(
    '/api/deliveries/queue',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Deliveries waiting for a drone (demand beyond the fleet): how many, the oldest wait, and the wait limit past which one fails NO_DRONE_AVAILABLE',
        response: { 200: DroneQueue },
      },
    },
    async (_request, reply) => relay(reply, await callUpstream(upstreams.delivery, 'GET', '/deliveries/queue')),
  );
  app.get(
    '/api/deliveries/:id',
    { schema: { tags: ['delivery'], summary: 'Live status of a delivery in flight: status, drone, position, ETA', params: IdParams, response: { 200: DeliveryView, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.delivery, 'GET', `/deliveries/${request.params.id}`)),
  );
  app.get(
    '/api/deliveries/:id/history',
    {
      schema: {
        tags: ['delivery'],
        summary: 'A finished delivery from delivery-history (its lookup store, or the data lake once archived)',
        params: IdParams,
        response: { 200: DeliveryHistory, ...errors(400, 404) },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.deliveryHistory, 'GET', `/deliveries/${request.params.id}/history`)),
  );
  app.get(
    '/api/drones',
    { schema: { tags: ['delivery'], summary: 'Drones in flight near a point (lat, lon; radiusKm default 50), nearest first; without a point, every drone in flight (at most 100)', querystring: DronesQuery, response: { 200: DroneList, ...errors(400) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.delivery, 'GET', `/drones?${queryString(request.query)}`)),
  );
  app.get(
    '/api/analytics/deliveries',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Deliveries per day, average duration and failure rate by cause over a date range (DuckDB over the lake)',
        querystring: AnalyticsQuery,
        response: { 200: DeliveryAnalytics, ...errors(400) },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.deliveryHistory, 'GET', `/analytics/deliveries?${queryString(request.query)}`, { timeoutMs: 60_000 })),
  );
};
