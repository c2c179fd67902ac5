import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import { CUSTOMER_SECURITY, owner } from '../access.ts';
import { customerErrors, errors, type RouteContext } from './context.ts';
import { Account, IdempotencyHeaders, IdParams, MailList, NewUser, User, UserMailsQuery, UserPatch } from './schemas.ts';

/**
 * Users and their accounts: owned by the accounts service; their mails by
 * mailing. Signing up is open; everything else about a user is theirs (their
 * session) or the operator's.
 */
export const usersRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent, access }) => {
  const own = access.ownedBy(owner.param('id'));
  const mine = { security: CUSTOMER_SECURITY };
  app.post(
    '/api/users',
    {
      ...idempotent,
      schema: { tags: ['users'], summary: 'Register a user', body: NewUser, headers: IdempotencyHeaders, response: { 201: User, ...errors(400, 409, 422) } },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.accounts, 'POST', '/users', { body: request.body })),
  );
  app.get(
    '/api/users/:id',
    { ...own, schema: { tags: ['users'], ...mine, params: IdParams, response: { 200: User, ...errors(400, 404), ...customerErrors } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}`)),
  );
  app.patch(
    '/api/users/:id',
    {
      ...own,
      schema: {
        tags: ['users'],
        summary: 'Change name, email, address or country (only what is given)',
        ...mine,
        params: IdParams,
        body: UserPatch,
        response: { 200: User, ...errors(400, 404, 409), ...customerErrors },
      },
    },
    async (request, reply) =>
      relay(reply, await callUpstream(upstreams.accounts, 'PATCH', `/users/${request.params.id}`, { body: request.body })),
  );
  app.get(
    '/api/users/:id/account',
    { ...own, schema: { tags: ['users'], ...mine, params: IdParams, response: { 200: Account, ...errors(400, 404), ...customerErrors } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}/account`)),
  );
  app.get(
    '/api/users/:id/mails',
    {
      ...own,
      schema: { tags: ['mails'], summary: "The mails sent to a user, newest first (404 for a user accounts has not registered)", ...mine, params: IdParams, querystring: UserMailsQuery, response: { 200: MailList, ...errors(400, 404), ...customerErrors } },
    },
    async (request, reply) => {
      const query = new URLSearchParams({ userId: request.params.id });
      if (request.query.limit !== undefined) query.set('limit', String(request.query.limit));
      return relay(reply, await callUpstream(upstreams.mailing, 'GET', `/mails?${query}`));
    },
  );
};
