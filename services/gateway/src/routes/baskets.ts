import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { Basket, BasketItemParams, BasketItemUpdate, CheckoutAccepted, IdempotencyHeaders, UserIdParams } from './schemas.ts';

/** Baskets: owned by the basket service (a sorted set per user, with a TTL). */
export const basketsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent }) => {
  const itemPath = (params: { userId: string; productId: string }) => `/baskets/${params.userId}/items/${params.productId}`;
  app.put(
    '/api/baskets/:userId/items/:productId',
    {
      schema: {
        tags: ['baskets'],
        summary: 'Set the quantity of a product in the basket (0 removes it)',
        params: BasketItemParams,
        body: BasketItemUpdate,
        response: { 200: Basket, ...errors(400, 404, 422) },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'PUT', itemPath(request.params), { body: request.body })),
  );
  app.delete(
    '/api/baskets/:userId/items/:productId',
    { schema: { tags: ['baskets'], summary: 'Remove a product from the basket', params: BasketItemParams, response: { 200: Basket, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'DELETE', itemPath(request.params))),
  );
  app.get(
    '/api/baskets/:userId',
    { schema: { tags: ['baskets'], summary: 'The basket (an expired one is empty; 404 for a user accounts has not registered)', params: UserIdParams, response: { 200: Basket, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'GET', `/baskets/${request.params.userId}`)),
  );
  app.post(
    '/api/baskets/:userId/checkout',
    {
      ...idempotent,
      schema: {
        tags: ['baskets'],
        summary: 'Turn the basket into an order; a retry while it is pending names the same order',
        params: UserIdParams,
        headers: IdempotencyHeaders,
        response: { 202: CheckoutAccepted, ...errors(400, 404, 409, 422) },
      },
    },
    async (request, reply) => relay(reply, await callUpstream(upstreams.basket, 'POST', `/baskets/${request.params.userId}/checkout`)),
  );
};
