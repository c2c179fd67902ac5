import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A reader slower than its source is dropped past this much unsent output, rather than growing the server's memory. */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Comments keep proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/** Sends one event to the reader; does nothing before the stream is open or after it ended. */
export type SendEvent = (event: string, data: unknown) => void;

export interface ServerSentEvents {
  /**
   * Answers `request` with an event stream: `subscribe` is called first with
   * the stream's send function and returns how to stop; if it throws, nothing
   * was sent and the error is the answer (map it to a 503 before it gets here).
   * Then the stream opens with `comment`, keeps alive, drops a reader that
   * falls more than `maxBufferedBytes` behind, and stops the subscription
   * when the reader leaves or the server closes.
   */
  open(
    request: FastifyRequest,
    reply: FastifyReply,
    subscribe: (send: SendEvent) => Promise<() => void>,
    options: { comment: string; maxBufferedBytes?: number },
  ): Promise<void>;
}

/**
 * Server-sent events for the routes of `app`: one implementation of the
 * keep-alive, the backpressure cap and the clean close, which the gateway's
 * two live feeds had each written, differently.
 */
export function serverSentEvents(app: FastifyInstance): ServerSentEvents {
  // Open event streams never end by themselves: end them so the server can close.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of streams) response.end();
  });
  return {
    async open(request, reply, subscribe, options) {
      const response = reply.raw;
      const maxBufferedBytes = options.maxBufferedBytes ?? SSE_MAX_BUFFERED_BYTES;
      let writing = false;
      let stop: () => void = () => undefined;
      const end = () => {
        stop();
        if (!response.writableEnded) response.end();
      };
      stop = await subscribe((event, data) => {
        if (!writing || response.writableEnded) return;
        if (response.writableLength > maxBufferedBytes) return end();
        response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      });
      reply.hijack();
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      response.write(`: ${options.comment}\n\n`);
      writing = true;
      streams.add(response);
      const keepAlive = setInterval(() => {
        if (!response.writableEnded) response.write(': keep-alive\n\n');
      }, KEEP_ALIVE_MS);
      const cleanup = () => {
        clearInterval(keepAlive);
        stop();
        streams.delete(response);
      };
      request.raw.on('close', cleanup);
      // A reader that left while we were subscribing has already closed: its 'close' will not come again.
      if (response.destroyed) cleanup();
    },
  };
}
