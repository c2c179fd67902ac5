import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CUSTOMER_SECURITY, owner } from '../access.ts';
import { callUpstream, relay } from '../upstream.ts';
import { customerErrors, errors, type RouteContext } from './context.ts';
import { MailList, MailsQuery } from './schemas.ts';

/**
 * The mail log: owned by the mailing service (per user: GET /api/users/:id/mails).
 * With a userId it is that user's; without one it is everyone's mail: the operator's.
 */
export const mailsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, access }) => {
  app.get(
    '/api/mails',
    {
      ...access.ownedBy(owner.query('userId')),
      schema: {
        tags: ['mails'],
        summary: "Mails sent, newest first, by user and/or order (without userId: every user's, admin only); a user's 100 newest are kept, each for 30 days",
        security: CUSTOMER_SECURITY,
        querystring: MailsQuery,
        response: { 200: MailList, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      return relay(reply, await callUpstream(upstreams.mailing, 'GET', `/mails?${query}`));
    },
  );
};
