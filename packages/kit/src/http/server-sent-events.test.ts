import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { createHttpApp, serverSentEvents, type HttpApp, type SendEvent } from './index.ts';

describe('server-sent events', () => {
  let app: HttpApp;
  let port = 0;
  const subscribers: Array<{ send: SendEvent; stopped: boolean }> = [];

  beforeAll(async () => {
    app = createHttpApp({ service: 'sse-test' });
    const events = serverSentEvents(app);
    app.get('/feed', async (request, reply) => {
      await events.open(request, reply, async (send) => {
        const subscriber = { send, stopped: false };
        subscribers.push(subscriber);
        return () => {
          subscriber.stopped = true;
        };
      }, { comment: 'test feed', maxBufferedBytes: 64 * 1024 });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  it('sends events to a reader, and stops the subscription when the reader leaves', async () => {
    const received: string[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk) => received.push(chunk.toString()));
    socket.write('GET /feed HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => subscribers.length === 1 && received.join('').includes(': test feed'), { description: 'the stream opened' });
    subscribers[0]?.send('tick', { n: 1 });
    await waitFor(() => received.join('').includes('event: tick\ndata: {"n":1}\n\n'), { description: 'the event arrived' });
    socket.destroy();
    await waitFor(() => subscribers[0]?.stopped === true, { description: 'the subscription stopped' });
  });

  it('drops a reader that falls behind by more than the cap, instead of buffering for it', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /feed HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => subscribers.length === 2, { description: 'the stream opened' });
    // The reader never reads: the kernel's buffers fill, then the response's own.
    socket.pause();
    const subscriber = subscribers[1] as { send: SendEvent; stopped: boolean };
    const page = 'x'.repeat(16 * 1024);
    await waitFor(() => {
      for (let i = 0; i < 64 && !subscriber.stopped; i++) subscriber.send('page', page);
      return subscriber.stopped;
    }, { description: 'the slow reader dropped' });
    socket.destroy();
  });
});
