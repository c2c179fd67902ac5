import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type } from 'tributary';
import { setRateLimitHeaders } from 'tributary/ratelimit';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { ErrorReply, SessionLogin, SessionUserReply } from './schemas.ts';
import { gatewayError } from '../errors.ts';

/** The part of accounts' user the session keeps; the rest of the reply is ignored. */
const AccountsUser = TypeCompiler.Compile(Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String(), email: Type.String() }));

/**
 * Customer sessions: sign in by email (a demo shop: no passwords), a cookie
 * names the session, and the session then keys the customer's rate limit
 * and idempotency scope.
 */
export const sessionsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, sessions, loginLimiter }) => {
  app.post(
    '/api/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign in by email: sets the session cookie',
        body: SessionLogin,
        response: { 201: SessionUserReply, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const attempt = await loginLimiter.take(`ip:${request.ip}`);
      if (!attempt.allowed) {
        setRateLimitHeaders(reply, loginLimiter, attempt);
        throw gatewayError('RATE_LIMITED', 'too many sign-in attempts, try again later');
      }
      const answer = await callUpstream(upstreams.accounts, 'GET', `/users/by-email/${encodeURIComponent(request.body.email)}`);
      if (answer.status !== 200) return relay(reply, answer);
      if (!AccountsUser.Check(answer.body)) throw gatewayError('SERVICE_UNAVAILABLE', 'accounts answered an unexpected shape');
      const user = { userId: answer.body.id, name: answer.body.name, email: answer.body.email };
      await sessions.start(request, reply, user);
      return reply.code(201).send(user);
    },
  );
  app.get(
    '/api/session',
    { schema: { tags: ['sessions'], summary: 'Who is signed in', security: [{ session: [] }], response: { 200: SessionUserReply, 401: ErrorReply, ...errors() } } },
    async (request) => {
      const session = sessions.current(request);
      if (!session) throw gatewayError('NO_SESSION', 'not signed in');
      return session.data;
    },
  );
  app.delete(
    '/api/session',
    { schema: { tags: ['sessions'], summary: 'Sign out', response: { 204: Type.Null({ description: 'signed out (also when there was no session)' }), ...errors() } } },
    async (request, reply) => {
      await sessions.end(request, reply);
      return reply.code(204).send(null);
    },
  );
};
