import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay, type Upstreams } from '../upstream.ts';
import { ErrorReply, FailureCounts } from './schemas.ts';

/** The book's OrderFailureMonitoring read model, owned by order-monitoring. */
export const monitoringRoutes: FastifyPluginAsyncTypebox<{ upstreams: Upstreams }> = async (app, { upstreams }) => {
  app.get(
    '/api/monitoring/order-failures',
    { schema: { tags: ['monitoring'], response: { 200: FailureCounts, 503: ErrorReply } } },
    async (_request, reply) => {
      const answer = await callUpstream(upstreams.orderMonitoring, 'GET', '/order-failures');
      return relay(reply, answer);
    },
  );
};
