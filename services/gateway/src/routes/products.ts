import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'tributary';
import { ADMIN_SECURITY } from '../admin.ts';
import { callUpstream, relay } from '../upstream.ts';
import { adminErrors, errors, type RouteContext } from './context.ts';
import { IdempotencyHeaders, IdParams, NewProduct, Product, ProductPatch, ProductQuery } from './schemas.ts';

/** Products: owned by the catalog service. Creating and changing them is an admin operation. */
export const productsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, { upstreams, idempotent, requireAdmin }) => {
  app.post(
    '/api/products',
    {
      onRequest: requireAdmin,
      ...idempotent,
      schema: {
        tags: ['products'],
        summary: 'Create a product (admin)',
        security: ADMIN_SECURITY,
        body: NewProduct,
        headers: IdempotencyHeaders,
        response: { 201: Product, ...errors(400, 409, 422), ...adminErrors },
      },
    },
    async (request, reply) =>
      relay(
        reply,
        await callUpstream(upstreams.catalog, 'POST', '/products', { body: { ...request.body, bannedCountries: request.body.bannedCountries ?? [] } }),
      ),
  );
  app.patch(
    '/api/products/:id',
    {
      onRequest: requireAdmin,
      schema: {
        tags: ['products'],
        summary: 'Rename or reprice a product (admin)',
        security: ADMIN_SECURITY,
        params: IdParams,
        body: ProductPatch,
        response: { 200: Product, ...errors(400, 404), ...adminErrors },
      },
    },
    async (request, reply) =>
      relay(reply, await callUpstream(upstreams.catalog, 'PATCH', `/products/${request.params.id}`, { body: request.body })),
  );
  app.get(
    '/api/products/:id',
    { schema: { tags: ['products'], params: IdParams, response: { 200: Product, ...errors(400, 404) } } },
    async (request, reply) => relay(reply, await callUpstream(upstreams.catalog, 'GET', `/products/${request.params.id}`)),
  );
  app.get(
    '/api/products',
    {
      schema: {
        tags: ['products'],
        querystring: ProductQuery,
        response: { 200: Type.Object({ items: Type.Array(Product), total: Type.Integer() }), ...errors(400) },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      return relay(reply, await callUpstream(upstreams.catalog, 'GET', `/products?${query}`));
    },
  );
};
