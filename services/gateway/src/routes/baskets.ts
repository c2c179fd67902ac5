import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CUSTOMER_SECURITY, owner } from '../access.ts';
import { callUpstream, relay } from '../upstream.ts';
import { customerErrors, errors, type RouteContext } from './context.ts';
import { Basket, BasketItemParams, BasketItemUpdate, CheckoutAccepted, IdempotencyHeaders, UserIdParams } from './schemas.ts';

/** Baskets: owned by the basket service (a sorted set per user, with a TTL). A basket is its user's (or the operator's). */
export const basketsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent, access }) => {
  const own = access.ownedBy(owner.param('userId'));
  const mine = { security: CUSTOMER_SECURITY };
  const itemPath = (params: { userId: string; productId: string }) => `/baskets/${params.userId}/items/${params.productId}`;
  app.put(
    '/api/baskets/:userId/items/:productId',
    {
      ...own,
      schema: {
        tags: ['baskets'],
        summary: 'Set the quantity of a product in the basket (0 removes it)',
        ...mine,
        params: BasketItemParams,
        body: BasketItemUpdate,
        response: { 200: Basket, ...errors(400, 404, 422), ...customerErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'PUT', itemPath(request.params), { body: request.body })),
  );
  app.delete(
    '/api/baskets/:userId/items/:productId',
    { ...own, schema: { tags: ['baskets'], summary: 'Remove a product from the basket', ...mine, params: BasketItemParams, response: { 200: Basket, ...errors(400, 404), ...customerErrors } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'DELETE', itemPath(request.params))),
  );
  app.get(
    '/api/baskets/:userId',
    { ...own, schema: { tags: ['baskets'], summary: 'The basket (an expired one is empty; 404 for a user accounts has not registered)', ...mine, params: UserIdParams, response: { 200: Basket, ...errors(400, 404), ...customerErrors } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'GET', `/baskets/${request.params.userId}`)),
  );
  app.post(
    '/api/baskets/:userId/checkout',
    {
      ...access.ownedBy(owner.param('userId'), idempotent),
      schema: {
        tags: ['baskets'],
        summary: 'Turn the basket into an order; a retry while it is pending names the same order',
        ...mine,
        params: UserIdParams,
        headers: IdempotencyHeaders,
        response: { 202: CheckoutAccepted, ...errors(400, 404, 409, 422), ...customerErrors },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'POST', `/baskets/${request.params.userId}/checkout`)),
  );
};
