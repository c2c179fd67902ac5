import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_SECURITY } from '../admin.ts';
import { callUpstream, relay } from '../upstream.ts';
import { adminErrors, customerErrors, errors, type RouteContext } from './context.ts';
import { FailureCounts, Leaderboard, RegionsStatus, LeaderboardEntry, LeaderboardMemberParams, LeaderboardParams, LeaderboardQuery } from './schemas.ts';

/** The leaderboard whose members are customers (with what they spent): not for everyone's eyes. */
const PRIVATE_BOARD = 'top-spenders';

/**
 * The book's OrderFailureMonitoring read model and the leaderboards, owned
 * by order-monitoring. Failure counts are the operator's; best-sellers is a
 * shop's public list; top-spenders ranks customers by money spent, so the
 * board is the operator's and one member's entry is that customer's.
 */
export const monitoringRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, requireAdmin, access }) => {
  const boardGuard = async (request: FastifyRequest, reply: FastifyReply) => {
    const { board, member } = request.params as { board: string; member?: string };
    if (board === PRIVATE_BOARD) await access.requireCustomer(request, reply, member);
  };
  const boardSecurity = [{}, { session: [] }, ...ADMIN_SECURITY];
  app.get(
    '/api/monitoring/order-failures',
    { onRequest: requireAdmin, schema: { tags: ['monitoring'], security: ADMIN_SECURITY, response: { 200: FailureCounts, ...errors(), ...adminErrors } } },
    async (_request, reply) => {
      const answer = await callUpstream(upstreams.orderMonitoring, 'GET', '/order-failures');
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/monitoring/regions',
    {
      onRequest: requireAdmin,
      schema: {
        tags: ['monitoring'],
        summary: "order-monitoring's Active/Active region and the replication lag both ways between it and each other region",
        description: 'region is null when order-monitoring runs in one region (ORDER_MONITORING_REGION unset); pending is counted up to 1000.',
        security: ADMIN_SECURITY,
        response: { 200: RegionsStatus, ...errors(), ...adminErrors },
      },
    },
    async (_request, reply) => relay(reply, await callUpstream(upstreams.orderMonitoring, 'GET', '/regions')),
  );
  app.get(
    '/api/leaderboards/:board',
    {
      preHandler: boardGuard,
      schema: {
        tags: ['leaderboards'],
        summary: 'Top members of a leaderboard (best-sellers, top-spenders), rank 1 first',
        description: 'best-sellers is open; top-spenders ranks customers, so it needs the admin key or an operator sign-in.',
        security: boardSecurity,
        params: LeaderboardParams,
        querystring: LeaderboardQuery,
        response: { 200: Leaderboard, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams();
      if (request.query.limit !== undefined) query.set('limit', String(request.query.limit));
      return relay(reply, await callUpstream(upstreams.orderMonitoring, 'GET', `/leaderboards/${request.params.board}?${query}`));
    },
  );
  app.get(
    '/api/leaderboards/:board/members/:member',
    {
      preHandler: boardGuard,
      schema: {
        tags: ['leaderboards'],
        summary: "One member's score and rank; 404 NOT_RANKED when absent",
        description: "best-sellers is open; a top-spenders member's entry is that customer's (their session) or the operator's.",
        security: boardSecurity,
        params: LeaderboardMemberParams,
        response: { 200: LeaderboardEntry, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) =>
      relay(
        reply,
        await callUpstream(upstreams.orderMonitoring, 'GET', `/leaderboards/${request.params.board}/members/${request.params.member}`),
      ),
  );
};
