import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from 'tributary/http';
import { errors } from './context.ts';
import type { OpsContext } from './ops-context.ts';
import { LiveEventsQuery } from './schemas.ts';

/** A browser that reads slower than the bus writes is dropped past this much unsent output, rather than growing the gateway's memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** GET /api/events/live: the live event feed, every stream or one, every type or one. */
export const liveEventsRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { liveEvents, streams: observed }) => {
  const known = new Set(observed);
  // Open event streams never end by themselves: end them so the server can close.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });
  app.get(
    '/api/events/live',
    {
      schema: {
        tags: ['system'],
        summary: 'Server-sent events (`entry`): every new entry on the observed streams from the moment of subscription, decoded; filter by stream and type',
        querystring: LiveEventsQuery,
        produces: ['text/event-stream'],
        response: { ...errors(400) },
      },
    },
    async (request, reply) => {
      const stream = request.query.stream || null;
      const type = request.query.type || null;
      if (stream !== null && !known.has(stream)) {
        throw new HttpError(400, 'UNKNOWN_STREAM', `no such stream: ${stream} (known: ${[...known].join(', ')})`);
      }
      const response = reply.raw;
      let writing = false;
      let stop: () => void = () => undefined;
      const end = () => {
        stop();
        if (!response.writableEnded) response.end();
      };
      try {
        stop = await liveEvents.listen((entry) => {
          if (!writing || (stream !== null && entry.stream !== stream) || (type !== null && entry.type !== type)) return;
          if (response.writableLength > MAX_BUFFERED_BYTES) return end();
          response.write(`event: entry\ndata: ${JSON.stringify(entry)}\n\n`);
        });
      } catch {
        throw new HttpError(503, 'BUS_UNAVAILABLE', 'the live feed needs the event bus, try again');
      }
      reply.hijack();
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      response.write(`: entries on ${stream ?? 'every stream'}${type ? ` of type ${type}` : ''}\n\n`);
      writing = true;
      open.add(response);
      // Comments keep proxies from closing an idle stream.
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
      const cleanup = () => {
        clearInterval(keepAlive);
        stop();
        open.delete(response);
      };
      request.raw.on('close', cleanup);
      // A browser that left while we were subscribing has already closed: its 'close' will not come again.
      if (response.destroyed) cleanup();
    },
  );
};
