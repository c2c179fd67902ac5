import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { renderAsyncApi } from '@tributary/contracts/asyncapi';
import { Type } from 'tributary';

/**
 * GET /asyncapi.json: the event catalogue as AsyncAPI 3.0, the same text as
 * docs/asyncapi.json (both rendered from the contracts), next to /docs for
 * the HTTP API. Outside /api: documentation is not rate limited.
 */
export const asyncApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let document: string | null = null;
  app.get(
    '/asyncapi.json',
    {
      schema: {
        tags: ['system'],
        summary: 'The event streams and their schemas as an AsyncAPI 3.0 document (docs/asyncapi.json)',
        response: { 200: Type.Object({ asyncapi: Type.String() }, { additionalProperties: true, description: 'AsyncAPI 3.0' }) },
      },
    },
    async (_request, reply) => {
      // Rendered once, on first ask: the contracts do not change while the process runs.
      document ??= `${JSON.stringify(renderAsyncApi(), null, 2)}\n`;
      // A string with a JSON content type is sent as is (not re-serialized), byte for byte the
      // checked-in file; the schema above documents it, hence the cast for the typed reply.
      return reply.type('application/json; charset=utf-8').send(document as unknown as { asyncapi: string });
    },
  );
};
