import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay, type Upstreams } from '../upstream.ts';
import { Account, ErrorReply, IdParams, NewUser, User, UserPatch } from './schemas.ts';

/** Users and their accounts: owned by the accounts service. */
export const usersRoutes: FastifyPluginAsyncTypebox<{ upstreams: Upstreams }> = async (app, { upstreams }) => {
  const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };
  app.post('/api/users', { schema: { tags: ['users'], body: NewUser, response: { 201: User, ...errors } } }, async (request, reply) => {
    const answer = await callUpstream(upstreams.accounts, 'POST', '/users', { body: request.body });
    return relay(reply, answer);
  });
  app.get('/api/users/:id', { schema: { tags: ['users'], params: IdParams, response: { 200: User, ...errors } } }, async (request, reply) => {
    const answer = await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}`);
    return relay(reply, answer);
  });
  app.patch(
    '/api/users/:id',
    { schema: { tags: ['users'], params: IdParams, body: UserPatch, response: { 200: User, ...errors } } },
    async (request, reply) => {
      const answer = await callUpstream(upstreams.accounts, 'PATCH', `/users/${request.params.id}`, { body: request.body });
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/users/:id/account',
    { schema: { tags: ['users'], params: IdParams, response: { 200: Account, ...errors } } },
    async (request, reply) => {
      const answer = await callUpstream(upstreams.accounts, 'GET', `/users/${request.params.id}/account`);
      return relay(reply, answer);
    },
  );
};
