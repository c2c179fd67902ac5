import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from 'tributary/http';
import { callUpstream, relay } from '../upstream.ts';
import { errors, type RouteContext } from './context.ts';
import { IdempotencyHeaders, IdParams, NewOrder, Order, OrderAccepted } from './schemas.ts';

interface PricedProduct {
  id: string;
  priceCents: number;
}

function isPricedProducts(value: unknown): value is { items: PricedProduct[] } {
  const items = (value as { items?: unknown } | null)?.items;
  return Array.isArray(items) && items.every((item) => typeof item?.id === 'string' && Number.isInteger(item?.priceCents));
}

/**
 * Placing an order composes three services synchronously only for what the
 * caller must hear at once (the user and products exist, the price); the
 * saga itself runs on events.
 */
export const ordersRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent }) => {
  app.post(
    '/api/orders',
    {
      ...idempotent,
      schema: {
        tags: ['orders'],
        summary: 'Place an order; the saga runs on events',
        body: NewOrder,
        headers: IdempotencyHeaders,
        response: { 202: OrderAccepted, ...errors(400, 409, 422) },
      },
    },
    async (request, reply) => {
      const { userId, items } = request.body;
      const productIds = items.map((item) => item.productId);
      if (new Set(productIds).size !== productIds.length) {
        throw new HttpError(400, 'DUPLICATE_PRODUCT', 'each product may appear once; use quantity');
      }
      const [user, products] = await Promise.all([
        callUpstream(upstreams.accounts, 'GET', `/users/${userId}`),
        callUpstream(upstreams.catalog, 'POST', '/products/lookup', { body: { ids: productIds } }),
      ]);
      if (user.status === 404) throw new HttpError(422, 'UNKNOWN_USER', `no user with id ${userId}`);
      if (user.status !== 200) return relay(reply, user);
      if (products.status !== 200) return relay(reply, products);
      if (!isPricedProducts(products.body)) throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'catalog answered an unexpected shape');
      const prices = new Map(products.body.items.map((product) => [product.id, product.priceCents]));
      const missing = productIds.filter((id) => !prices.has(id));
      if (missing.length > 0) throw new HttpError(422, 'UNKNOWN_PRODUCT', `no product with id ${missing.join(', ')}`);
      // Ordering dedups by the key too: the last guard when the gateway released it (e.g. after a 503).
      const key = request.headers['idempotency-key'];
      const answer = await callUpstream(upstreams.ordering, 'POST', '/orders', {
        body: { userId, items: items.map((item) => ({ ...item, unitPriceCents: prices.get(item.productId) as number })) },
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });
      return relay(reply, answer);
    },
  );
  app.get('/api/orders/:id', { schema: { tags: ['orders'], params: IdParams, response: { 200: Order, ...errors(400, 404) } } }, async (request, reply) => {
    const answer = await callUpstream(upstreams.ordering, 'GET', `/orders/${request.params.id}`);
    return relay(reply, answer);
  });
};
