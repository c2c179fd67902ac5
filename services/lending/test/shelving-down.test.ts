import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort } from 'tributary/testing';
import { useLending } from './harness.ts';

const t = useLending();

/** A shelving that always fails (503), counting the calls it gets. */
async function failingShelving(): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server: Server = createServer((request, response) => {
    calls.push(`${request.method} ${request.url}`);
    response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"DOWN","message":"down for maintenance"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Puts a book in automated storage the way it gets there: lent, then returned (with the real shelving). */
async function seedStorage(book: string) {
  const seeder = await t.start();
  await t.outcome(await t.submit('lend', 'Seeder', [book]));
  await t.outcome(await t.submit('return', 'Seeder', [book]));
  await t.stop(seeder);
}

describe('shelving down', () => {
  it('retries, then refuses the request SHELVING_UNAVAILABLE and puts storage books back', async () => {
    await seedStorage('in-storage');
    const shelving = await failingShelving();
    try {
      await t.start({ shelvingUrl: shelving.url, shelvingAttempts: 3 });
      const outcome = await t.outcome(await t.submit('lend', 'Salvatore', ['in-storage', 'on-a-shelf']));
      expect(outcome).toMatchObject({ status: 'REJECTED', reason: 'SHELVING_UNAVAILABLE', bookIds: ['in-storage', 'on-a-shelf'], bookIdsAtFault: ['on-a-shelf'] });
      // LENDING_SHELVING_ATTEMPTS calls for the book, then no more.
      expect(shelving.calls).toEqual(Array.from({ length: 3 }, () => 'POST /books/on-a-shelf/checkout'));
      const state = await t.state();
      expect(state.storage).toEqual(['in-storage']);
      expect(state.lent).toEqual({});
      expect(state.users).toEqual({});
      expect(state.leftovers).toEqual([]);
      const rejected = (await t.events()).find((event) => event.type === 'RequestRejected');
      expect(rejected?.data).toMatchObject({ reason: 'SHELVING_UNAVAILABLE', bookIdsAtFault: ['on-a-shelf'] });
    } finally {
      await shelving.close();
    }
  });

  it('refuses the same way when nothing listens at SHELVING_URL', async () => {
    const closedPort = await freePort();
    await t.start({ shelvingUrl: `http://127.0.0.1:${closedPort}`, shelvingAttempts: 2 });
    const outcome = await t.outcome(await t.submit('lend', 'Salvatore', ['ofmiceandmen']));
    expect(outcome).toMatchObject({ status: 'REJECTED', reason: 'SHELVING_UNAVAILABLE', bookIdsAtFault: ['ofmiceandmen'] });
    expect((await t.state()).leftovers).toEqual([]);
  });

  it('with several shelving instances (SHELVING_URLS), a retry after a dead one goes to the next: the book is lent', async () => {
    const closedPort = await freePort();
    // The dead instance first: the first attempt is refused, the retry reaches the live one.
    await t.start({ shelvingUrl: `http://127.0.0.1:${closedPort}`, shelvingUrls: [`http://127.0.0.1:${closedPort}`, t.shelvingUrl], shelvingAttempts: 2 });
    const outcome = await t.outcome(await t.submit('lend', 'Salvatore', ['ofmiceandmen']));
    expect(outcome).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen'] });
  });

  it('keeps books already fetched from shelving when a later one fails: they go to storage, not lost', async () => {
    // First book answers, second fails: a shelving that dies mid-request.
    let calls = 0;
    const server = createServer((request, response) => {
      calls++;
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        if (request.url !== '/books/first/checkout') return void response.writeHead(500).end();
        const { requestId } = JSON.parse(body) as { requestId: string };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bookId: 'first', requestId }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const requestId = await t.submit('lend', 'Salvatore', ['first', 'second']);
      await t.start({ shelvingUrl: `http://127.0.0.1:${port}`, shelvingAttempts: 2 });
      expect(await t.outcome(requestId)).toMatchObject({ reason: 'SHELVING_UNAVAILABLE', bookIdsAtFault: ['second'] });
      expect(calls).toBe(3);
      expect((await t.state()).storage).toEqual(['first']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
