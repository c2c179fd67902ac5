import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CUSTOMER_SECURITY, owner, ownerOf } from '../access.ts';
import { callUpstream, relay } from '../upstream.ts';
import { customerErrors, errors, type RouteContext } from './context.ts';
import { IdempotencyHeaders, IdParams, NewOrder, Order, OrderAccepted, OrderWaitQuery } from './schemas.ts';
import { gatewayError } from '../errors.ts';

/**
 * Placing an order is one call to ordering, which checks the user and prices
 * the lines from its own copies of accounts' and the catalog's data (fed by
 * their events), so orders go on while accounts or the catalog restart. The
 * saga itself runs on events. An order is its user's (or the operator's):
 * placing one needs that user's session, and so does reading it.
 */
export const ordersRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent, access }) => {
  app.post(
    '/api/orders',
    {
      ...access.ownedBy(owner.body('userId'), idempotent),
      schema: {
        tags: ['orders'],
        summary: 'Place an order; the saga runs on events',
        security: CUSTOMER_SECURITY,
        description:
          'Ordering checks the user and prices each line from its own copies of accounts\' and the catalog\'s data, kept current by their events. ' +
          'A user or product it has not copied yet (created a moment ago) is looked up once at its owner: it can be ordered at once, ' +
          'and 422 UNKNOWN_USER / UNKNOWN_PRODUCT means the owner does not have it either. ' +
          'Orders for known users and products are accepted while accounts and the catalog are down; ' +
          'a not-yet-copied one then gets 503 SERVICE_UNAVAILABLE (retry with the same Idempotency-Key). ' +
          'Lines are priced at the latest price ordering has seen, which may trail a change made in the catalog by a moment.',
        body: NewOrder,
        headers: IdempotencyHeaders,
        response: { 202: OrderAccepted, ...errors(400, 409, 422), ...customerErrors },
      },
    },
    async (request, reply) => {
      const { userId, items } = request.body;
      const productIds = items.map((item) => item.productId);
      if (new Set(productIds).size !== productIds.length) {
        throw gatewayError('DUPLICATE_PRODUCT', 'each product may appear once; use quantity');
      }
      // Ordering dedups by the key too: the last guard when the gateway released it (e.g. after a 503).
      const key = request.headers['idempotency-key'];
      const answer = await callUpstream(upstreams.ordering, 'POST', '/orders', {
        body: { userId, items },
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });
      return relay(reply, answer);
    },
  );
  app.get(
    '/api/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'An order with its history; with waitMs, answered once it is final or after that long (long-poll)',
        security: CUSTOMER_SECURITY,
        params: IdParams,
        querystring: OrderWaitQuery,
        response: { 200: Order, ...errors(400, 404), ...customerErrors },
      },
    },
    async (request, reply) => {
      // The owner is known only from the order itself: an anonymous caller is turned away before any wait.
      await access.requireSignedIn(request, reply);
      const waitMs = request.query.waitMs ?? 0;
      const answer = await callUpstream(upstreams.ordering, 'GET', `/orders/${request.params.id}${waitMs > 0 ? `?waitMs=${waitMs}` : ''}`, {
        // Ordering holds the request up to waitMs: the deadline is on top of it.
        timeoutMs: waitMs + 10_000,
      });
      if (answer.status === 200) await access.requireCustomer(request, reply, ownerOf(answer.body));
      return relay(reply, answer);
    },
  );
};
