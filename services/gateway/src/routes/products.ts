import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'tributary';
import { callUpstream, relay, type Upstreams } from '../upstream.ts';
import { ErrorReply, IdParams, NewProduct, Product, ProductQuery } from './schemas.ts';

/** Products: owned by the catalog service. */
export const productsRoutes: FastifyPluginAsyncTypebox<{ upstreams: Upstreams }> = async (app, { upstreams }) => {
  const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };
  app.post('/api/products', { schema: { tags: ['products'], body: NewProduct, response: { 201: Product, ...errors } } }, async (request, reply) => {
    const answer = await callUpstream(upstreams.catalog, 'POST', '/products', {
      body: { ...request.body, bannedCountries: request.body.bannedCountries ?? [] },
    });
    return relay(reply, answer);
  });
  app.get('/api/products/:id', { schema: { tags: ['products'], params: IdParams, response: { 200: Product, ...errors } } }, async (request, reply) => {
    const answer = await callUpstream(upstreams.catalog, 'GET', `/products/${request.params.id}`);
    return relay(reply, answer);
  });
  app.get(
    '/api/products',
    {
      schema: {
        tags: ['products'],
        querystring: ProductQuery,
        response: { 200: Type.Object({ items: Type.Array(Product), total: Type.Integer() }), ...errors },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      const answer = await callUpstream(upstreams.catalog, 'GET', `/products?${query}`);
      return relay(reply, answer);
    },
  );
};
