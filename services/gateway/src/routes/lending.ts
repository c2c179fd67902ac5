import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { IdempotencyHeaders, IdParams, LendingBody, LendingRequestParams, LendingRequestStatus, LendingSubmitted, UserBooks } from './schemas.ts';

/**
 * The robotic lending library (the book's chapter 5), owned by the lending
 * service. A request or return is only appended to `lending:requests` there
 * and answered 202 at once; its outcome is polled by its request id.
 */
export const lendingRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent }) => {
  for (const [path, target, summary] of [
    ['/api/lending/requests', '/requests', 'Ask for books; the lending service decides on its stream (202, then poll the request)'],
    ['/api/lending/returns', '/returns', 'Bring books back; books not lent to this user are refused and reported'],
  ] as const) {
    app.post(
      path,
      {
        ...idempotent,
        schema: {
          tags: ['lending'],
          summary,
          body: LendingBody,
          headers: IdempotencyHeaders,
          response: { 202: LendingSubmitted, ...errors(400, 409, 422) },
        },
      },
      // Only the contract's fields go on, and the Idempotency-Key: lending dedups by it too,
      // the last guard when the gateway released the key after a 503 (lending may have appended).
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        return relay(
          reply,
          await callUpstream(upstreams.lending, 'POST', target, {
            body: { userId: request.body.userId, bookIds: request.body.bookIds },
            ...(key ? { headers: { 'idempotency-key': key } } : {}),
          }),
        );
      },
    );
  }
  app.get(
    '/api/lending/requests/:id',
    {
      schema: {
        tags: ['lending'],
        summary: 'A request or return by its id: PENDING until lending has processed it, then its outcome',
        params: LendingRequestParams,
        response: { 200: LendingRequestStatus, ...errors(400, 404) },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.lending, 'GET', `/requests/${request.params.id}`)),
  );
  app.get(
    '/api/lending/users/:id/books',
    { schema: { tags: ['lending'], summary: 'The books a user holds now', params: IdParams, response: { 200: UserBooks, ...errors(400) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.lending, 'GET', `/users/${request.params.id}/books`)),
  );
};
