import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { allEvents } from '@tributary/contracts';
import { countDeadLetters, listDeadLetters, replayDeadLetters } from 'tributary';
import { ADMIN_SECURITY } from '../admin.ts';
import { callUpstream, relay } from '../upstream.ts';
import { adminErrors, errors, type RouteContext } from './context.ts';
import { ArchiveRequest, ArchiveResult, DeadLetterList, DeadLetterQuery, IdParams, RebuildResult, ReplayRequest, ReplayResult, StuckOrderResolved, StuckOrders, StuckOrdersQuery } from './schemas.ts';
import { onBus } from '../bus-guard.ts';
import { gatewayError } from '../errors.ts';

/** The streams an operator may inspect: those some service publishes to, per the contracts. */
export const KNOWN_STREAMS: ReadonlySet<string> = new Set(allEvents.map((definition) => definition.stream));

function knownStream(stream: string): string {
  if (!KNOWN_STREAMS.has(stream)) {
    throw gatewayError('UNKNOWN_STREAM', `no such event stream: ${stream} (known: ${[...KNOWN_STREAMS].sort().join(', ')})`);
  }
  return stream;
}

/** Operator routes: dead letters on the bus, projection rebuilds. All need the admin key when one is set. */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, bus, requireAdmin }) => {
  app.addHook('onRequest', requireAdmin);
  const common = { tags: ['admin'], security: ADMIN_SECURITY };

  app.get(
    '/api/admin/dead-letters',
    {
      schema: {
        ...common,
        summary: "A stream's dead letters, oldest first (page with `after`)",
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterList, ...errors(400), ...adminErrors },
      },
    },
    async (request) => {
      const stream = knownStream(request.query.stream);
      const [count, items] = await onBus(bus, () =>
        Promise.all([
          countDeadLetters(bus, stream),
          listDeadLetters(bus, stream, { count: request.query.limit ?? 100, ...(request.query.after ? { after: request.query.after } : {}) }),
        ]),
      );
      return { stream, count, items };
    },
  );

  app.post(
    '/api/admin/dead-letters/replay',
    {
      schema: {
        ...common,
        summary: 'Put dead letters back on their stream, for the group that failed them only',
        body: ReplayRequest,
        response: { 200: ReplayResult, ...errors(400), ...adminErrors },
      },
    },
    async (request) => {
      const stream = knownStream(request.body.stream);
      const { group, ids } = request.body;
      let chosen = ids;
      if (group !== undefined) {
        const wanted = ids ? new Set(ids) : null;
        const letters = await onBus(bus, () => listDeadLetters(bus, stream, { count: 10_000 }));
        chosen = letters.filter((letter) => letter.group === group && (wanted === null || wanted.has(letter.id))).map((letter) => letter.id);
        if (chosen.length === 0) return { replayed: 0, ids: [] };
      }
      const replayed = await onBus(bus, () => replayDeadLetters(bus, stream, chosen ? { ids: chosen } : {}));
      return { replayed: replayed.length, ids: replayed };
    },
  );

  app.post(
    '/api/admin/projections/mailing/rebuild',
    {
      schema: {
        ...common,
        summary: "Rebuild mailing's copy of recipients from the start of the accounts stream",
        response: { 200: RebuildResult, ...errors(), ...adminErrors },
      },
    },
    async (_request, reply) =>
      relay(reply, await callUpstream(upstreams.mailing, 'POST', '/projections/recipients/rebuild', { timeoutMs: 120_000 })),
  );
  app.post(
    '/api/admin/delivery-history/archive',
    {
      schema: {
        ...common,
        summary: 'Run the delivery-history archiver now: lookup records older than the cut-off leave PostgreSQL (they stay in the lake)',
        body: ArchiveRequest,
        response: { 200: ArchiveResult, ...errors(400), ...adminErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.deliveryHistory, 'POST', '/archive', { body: request.body ?? {}, timeoutMs: 120_000 })),
  );
  app.get(
    '/api/admin/orders/stuck',
    {
      schema: {
        ...common,
        summary: 'Orders in a non-final status longer than ORDER_STUCK_AFTER_MS: counts per status and the longest stuck',
        querystring: StuckOrdersQuery,
        response: { 200: StuckOrders, ...errors(400), ...adminErrors },
      },
    },
    async (request, reply) => {
      const query = request.query.limit === undefined ? '' : `?limit=${request.query.limit}`;
      return relay(reply, await callUpstream(upstreams.ordering, 'GET', `/stuck-orders${query}`));
    },
  );
  app.post(
    '/api/admin/orders/:id/resolve',
    {
      schema: {
        ...common,
        summary: 'End an order stuck AWAITING_SHIPMENT: refund requested (reason FAILED_STUCK_RESOLVED_BY_OPERATOR), the saga finishes it; 409 for any other order',
        params: IdParams,
        response: { 200: StuckOrderResolved, ...errors(404, 409), ...adminErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.ordering, 'POST', `/stuck-orders/${encodeURIComponent(request.params.id)}/resolve`)),
  );
};
