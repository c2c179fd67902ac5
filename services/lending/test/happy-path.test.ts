import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from 'tributary/testing';
import { useLending } from './harness.ts';
import { lendingKeys } from '../src/store/keys.ts';

const t = useLending();

/** A pino logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<{ msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('the book session: Salvatore borrows and returns ofmiceandmen', () => {
  it('accepts the request, lends the book, takes it back into storage', async () => {
    const { logger, lines } = capturingLogger();
    const lending = await t.start({}, { logger });
    const http = lending.app;

    const submitted = await http.inject({ method: 'POST', url: '/requests', payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } });
    expect(submitted.statusCode).toBe(202);
    const { requestId } = submitted.json() as { requestId: string };
    expect(requestId).toMatch(/^\d+-\d+$/);

    const accepted = await waitFor(async () => {
      const reply = (await http.inject({ method: 'GET', url: `/requests/${requestId}` })).json();
      return reply.status === 'ACCEPTED' ? reply : null;
    }, { description: 'request accepted' });
    expect(accepted).toMatchObject({ requestId, kind: 'lend', status: 'ACCEPTED', userId: 'Salvatore', bookIds: ['ofmiceandmen'], unavailableBookIds: [] });
    expect((await http.inject({ method: 'GET', url: '/users/Salvatore/books' })).json()).toEqual({ userId: 'Salvatore', bookIds: ['ofmiceandmen'], count: 1 });
    // Storage starts empty: the book came from shelving, which now has it handed to this request.
    expect(await t.shelf.hGetAll('shelving:out')).toEqual({ ofmiceandmen: requestId });
    // Logged just after the commit, so possibly a moment after GET sees it.
    await waitFor(() => lines.some((line) => line.msg === `Request: [${requestId}] by Salvatore ACCEPTED. Books: 1) ofmiceandmen`), { description: 'the book\'s log line' });

    const returned = await http.inject({ method: 'POST', url: '/returns', payload: { userId: 'Salvatore', bookIds: ['ofmiceandmen'] } });
    expect(returned.statusCode).toBe(202);
    const returnId = (returned.json() as { requestId: string }).requestId;
    const processed = await waitFor(async () => {
      const reply = (await http.inject({ method: 'GET', url: `/requests/${returnId}` })).json();
      return reply.status === 'PROCESSED' ? reply : null;
    }, { description: 'return processed' });
    expect(processed).toMatchObject({ requestId: returnId, kind: 'return', status: 'PROCESSED', returnedBookIds: ['ofmiceandmen'], refusedBookIds: [] });
    expect((await http.inject({ method: 'GET', url: '/users/Salvatore/books' })).json()).toEqual({ userId: 'Salvatore', bookIds: [], count: 0 });
    expect((await http.inject({ method: 'GET', url: '/storage' })).json()).toEqual({ capacity: 20, bookIds: ['ofmiceandmen'] });
    await waitFor(() => lines.some((line) => line.msg === `Book Return [${returnId}] by Salvatore PROCESSED. Returned: 1) ofmiceandmen. Refused: none`), { description: 'the return\'s log line' });

    await t.settled();
    const events = await t.events();
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['RequestAccepted', { requestId, userId: 'Salvatore', bookIds: ['ofmiceandmen'], unavailableBookIds: [] }],
      ['ReturnProcessed', { requestId: returnId, userId: 'Salvatore', returnedBookIds: ['ofmiceandmen'], refusedBookIds: [] }],
    ]);
    // The outcome answers the request: same correlation, caused by it.
    const [requestEntry] = await t.bus.sendCommand<Array<[string, string[]]>>(['XRANGE', 'lending:requests', requestId, requestId]);
    const requestEventId = requestEntry![1][requestEntry![1].indexOf('id') + 1];
    expect(events[0]).toMatchObject({ causationId: requestEventId, source: 'lending' });
    const state = await t.state();
    expect(state).toMatchObject({ lent: {}, storage: ['ofmiceandmen'], leftovers: [] });
    // The outcome hash expires (LENDING_OUTCOME_TTL_SECONDS).
    expect(await t.bus.ttl(lendingKeys.outcome(requestId))).toBeGreaterThan(600_000);
  });

  it('returns a book from storage when there is room, sends it to shelving when not', async () => {
    await t.start({ storageCapacity: 1 });
    const lend = await t.outcome(await t.submit('lend', 'Salvatore', ['ofmiceandmen', 'dune']));
    expect(lend).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen', 'dune'] });
    const back = await t.outcome(await t.submit('return', 'Salvatore', ['ofmiceandmen', 'dune']));
    expect(back).toMatchObject({ status: 'PROCESSED', returnedBookIds: ['ofmiceandmen', 'dune'] });
    await t.settled();
    const state = await t.state();
    expect(state.storage).toEqual(['ofmiceandmen']);
    // dune went back on its shelf; ofmiceandmen sits in lending's storage, so shelving still counts it as out.
    expect(Object.keys(state.out)).toEqual(['ofmiceandmen']);
    const sent = (await t.events()).filter((event) => event.type === 'BooksSentToShelving');
    expect(sent.map((event) => event.data)).toEqual([{ requestId: back.requestId, bookIds: ['dune'] }]);

    // The next request takes ofmiceandmen from storage and dune from shelving again.
    const again = await t.outcome(await t.submit('lend', 'Antirez', ['ofmiceandmen', 'dune']));
    expect(again).toMatchObject({ status: 'ACCEPTED', bookIds: ['ofmiceandmen', 'dune'] });
    expect((await t.state()).storage).toEqual([]);
  });

  it('accepts what it can find and reports the rest; refuses when nothing is available', async () => {
    await t.start();
    await t.outcome(await t.submit('lend', 'A', ['x']));
    const partial = await t.outcome(await t.submit('lend', 'B', ['x', 'y']));
    expect(partial).toMatchObject({ status: 'ACCEPTED', bookIds: ['y'], unavailableBookIds: ['x'] });
    const none = await t.outcome(await t.submit('lend', 'C', ['x', 'y']));
    expect(none).toMatchObject({ status: 'REJECTED', reason: 'NONE_AVAILABLE', bookIdsAtFault: ['x', 'y'], bookIds: ['x', 'y'] });
    expect((await t.state()).users).toEqual({ A: { count: 1, books: ['x'] }, B: { count: 1, books: ['y'] } });
  });

  it('refuses a request that would take the user over the limit, and gives the books back', async () => {
    await t.start({ maxBooksPerUser: 2 });
    await t.outcome(await t.submit('lend', 'A', ['a', 'b']));
    const over = await t.outcome(await t.submit('lend', 'A', ['c']));
    expect(over).toMatchObject({ status: 'REJECTED', reason: 'LIMIT_EXCEEDED' });
    await t.settled();
    const state = await t.state();
    expect(state.users.A).toEqual({ count: 2, books: ['a', 'b'] });
    // c was fetched from shelving, then compensated into storage (there is room).
    expect(state.storage).toEqual(['c']);
    expect(state.leftovers).toEqual([]);
  });
});
