import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { MailList, MailsQuery } from './schemas.ts';

/** The mail log: owned by the mailing service (per user: GET /api/users/:id/mails). */
export const mailsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams }) => {
  app.get(
    '/api/mails',
    { schema: { tags: ['mails'], summary: 'Mails sent, newest first, by user and/or order', querystring: MailsQuery, response: { 200: MailList, ...errors(400, 404) } } },
    async (request, reply) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      return relay(reply, await callUpstream(upstreams.mailing, 'GET', `/mails?${query}`));
    },
  );
};
