import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { FailureCounts, Leaderboard, LeaderboardEntry, LeaderboardMemberParams, LeaderboardParams, LeaderboardQuery } from './schemas.ts';

/** The book's OrderFailureMonitoring read model and the leaderboards, owned by order-monitoring. */
export const monitoringRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams }) => {
  app.get(
    '/api/monitoring/order-failures',
    { schema: { tags: ['monitoring'], response: { 200: FailureCounts, ...errors() } } },
    async (_request, reply) => {
      const answer = await callUpstream(upstreams.orderMonitoring, 'GET', '/order-failures');
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/leaderboards/:board',
    {
      schema: {
        tags: ['leaderboards'],
        summary: 'Top members of a leaderboard (best-sellers, top-spenders), rank 1 first',
        params: LeaderboardParams,
        querystring: LeaderboardQuery,
        response: { 200: Leaderboard, ...errors(400, 404) },
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
      schema: {
        tags: ['leaderboards'],
        summary: "One member's score and rank; 404 NOT_RANKED when absent",
        params: LeaderboardMemberParams,
        response: { 200: LeaderboardEntry, ...errors(400, 404) },
      },
    },
    async (request, reply) =>
      relay(
        reply,
        await callUpstream(upstreams.orderMonitoring, 'GET', `/leaderboards/${request.params.board}/members/${request.params.member}`),
      ),
  );
};
