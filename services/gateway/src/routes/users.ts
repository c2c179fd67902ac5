import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import type { RouteContext } from './context.ts';
import { errors } from './context.ts';
import { Account, IdempotencyHeaders, IdParams, MailList, NewUser, User, UserMailsQuery, UserPatch } from './schemas.ts';

/** Users and their accounts: owned by the accounts service; their mails by mailing. */
export const usersRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent }) => {
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
    { schema: { tags: ['users'], params: IdParams, response: { 200: User, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}`)),
  );
  app.patch(
    '/api/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change name, email, address or country (only what is given)',
        params: IdParams,
        body: UserPatch,
        response: { 200: User, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) =>
      relay(reply, await callUpstream(upstreams.accounts, 'PATCH', `/users/${request.params.id}`, { body: request.body })),
  );
  app.get(
    '/api/users/:id/account',
    { schema: { tags: ['users'], params: IdParams, response: { 200: Account, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}/account`)),
  );
  app.get(
    '/api/users/:id/mails',
    { schema: { tags: ['mails'], summary: "The mails sent to a user, newest first (404 for a user accounts has not registered)", params: IdParams, querystring: UserMailsQuery, response: { 200: MailList, ...errors(400, 404) } } },
    async (request, reply) => {
      const query = new URLSearchParams({ userId: request.params.id });
      if (request.query.limit !== undefined) query.set('limit', String(request.query.limit));
      return relay(reply, await callUpstream(upstreams.mailing, 'GET', `/mails?${query}`));
    },
  );
};
