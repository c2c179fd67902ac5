import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CUSTOMER_SECURITY, owner, ownerOf } from '../access.ts';
import { callUpstream, relay } from '../upstream.ts';
import { customerErrors, errors, type RouteContext } from './context.ts';
import { IdempotencyHeaders, IdParams, LendingBody, LendingRequestParams, LendingRequestStatus, LendingSubmitted, UserBooks } from './schemas.ts';

/**
 * The robotic lending library (the book's chapter 5), owned by the lending
 * service. A request or return is only appended to `lending:requests` there
 * and answered 202 at once; its outcome is polled by its request id. Loans
 * are their reader's: the reader's session or the operator's credentials.
 */
export const lendingRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent, access }) => {
  for (const [path, target, summary] of [
    ['/api/lending/requests', '/requests', 'Ask for books; the lending service decides on its stream (202, then poll the request)'],
    ['/api/lending/returns', '/returns', 'Bring books back; books not lent to this user are refused and reported'],
  ] as const) {
    app.post(
      path,
      {
        ...access.ownedBy(owner.body('userId'), idempotent),
        schema: {
          tags: ['lending'],
          summary,
          security: CUSTOMER_SECURITY,
          body: LendingBody,
          headers: IdempotencyHeaders,
          response: { 202: LendingSubmitted, ...errors(400, 409, 422), ...customerErrors },
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
        security: CUSTOMER_SECURITY,
        params: LendingRequestParams,
        response: { 200: LendingRequestStatus, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      await access.requireSignedIn(request, reply);
      const answer = await callUpstream(upstreams.lending, 'GET', `/requests/${request.params.id}`);
      // A request dead-lettered before it was read names no reader: the operator's alone.
      if (answer.status === 200) await access.requireCustomer(request, reply, ownerOf(answer.body));
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/lending/users/:id/books',
    {
      ...access.ownedBy(owner.param('id')),
      schema: { tags: ['lending'], summary: 'The books a user holds now', security: CUSTOMER_SECURITY, params: IdParams, response: { 200: UserBooks, ...errors(400), ...customerErrors } },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.lending, 'GET', `/users/${request.params.id}/books`)),
  );
};
