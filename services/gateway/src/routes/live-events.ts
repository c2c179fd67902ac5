import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { serverSentEvents, type SendEvent } from 'tributary/http';
import { errors, unavailableAs503 } from './context.ts';
import type { OpsContext } from './ops-context.ts';
import { LiveEventsQuery } from './schemas.ts';
import { gatewayError } from '../errors.ts';

/** GET /api/events/live: the live event feed, every stream or one, every type or one. */
export const liveEventsRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { liveEvents, streams: observed }) => {
  const known = new Set(observed);
  const events = serverSentEvents(app);
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
        throw gatewayError('UNKNOWN_STREAM', `no such stream: ${stream} (known: ${[...known].join(', ')})`);
      }
      const subscribe = (send: SendEvent) =>
        liveEvents.listen((entry) => {
          if ((stream === null || entry.stream === stream) && (type === null || entry.type === type)) send('entry', entry);
        });
      await events.open(request, reply, unavailableAs503(subscribe, 'the live feed needs the event bus, try again'), {
        comment: `entries on ${stream ?? 'every stream'}${type ? ` of type ${type}` : ''}`,
      });
    },
  );
};
