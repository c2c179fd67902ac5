import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { connectRedis, createPublisher, groupsOf, type Publisher, type RedisClient } from 'tributary';
import { createLogger } from 'tributary/service';
import { flushRedis, type RedisServer, startRedisServer, waitFor } from 'tributary/testing';
import { BooksSentToShelving, RequestRejected } from '@tributary/contracts';
import { startShelving, type ShelvingService } from '../src/app.ts';
import { shelvingKeys } from '../src/store/keys.ts';

let servers: RedisServer[] = [];
let bus: RedisClient;
let store: RedisClient;
let lending: Publisher;
let shelving: ShelvingService;

beforeAll(async () => {
  servers = await Promise.all([startRedisServer(), startRedisServer()]);
  bus = await connectRedis(servers[0]!.url);
  store = await connectRedis(servers[1]!.url);
  lending = createPublisher({ redis: bus, service: 'lending' });
});
beforeEach(async () => {
  await Promise.all([flushRedis(bus), flushRedis(store)]);
  shelving = await startShelving({
    bus, store, logger: createLogger('shelving', process.env.TEST_LOG ?? 'silent'),
    instance: `shelving-test-${randomBytes(3).toString('hex')}`, consumer: { blockMs: 100 },
  });
});
afterEach(async () => {
  await shelving.close();
});
afterAll(async () => {
  await Promise.all([bus.close(), store.close()]);
  await Promise.all(servers.map((server) => server.stop()));
});

const checkout = (bookId: string, requestId: unknown) =>
  shelving.app.inject({ method: 'POST', url: `/books/${bookId}/checkout`, payload: { requestId } });
const book = async (bookId: string) => (await shelving.app.inject({ method: 'GET', url: `/books/${bookId}` })).json();

async function caughtUp() {
  await waitFor(async () => {
    const group = (await groupsOf(bus, 'lending:events')).find((info) => info.name === 'shelving');
    return group !== undefined && group.lag === 0 && group.pending === 0;
  }, { description: 'shelving caught up on lending:events' });
}

describe('checkout', () => {
  it('hands a book on a shelf to a request, again to the same request, never to another', async () => {
    expect(await book('ofmiceandmen')).toEqual({ bookId: 'ofmiceandmen', onShelf: true });
    const first = await checkout('ofmiceandmen', '1566505618781-0');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ bookId: 'ofmiceandmen', requestId: '1566505618781-0' });
    // Lending asks again after a crash or a lost reply: same answer, nothing changes.
    const again = await checkout('ofmiceandmen', '1566505618781-0');
    expect(again.statusCode).toBe(200);
    const other = await checkout('ofmiceandmen', '1566505618999-0');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ error: 'BOOK_NOT_ON_SHELF' });
    expect(await book('ofmiceandmen')).toEqual({ bookId: 'ofmiceandmen', onShelf: false, heldBy: '1566505618781-0' });
    expect(await store.hGetAll(shelvingKeys.out())).toEqual({ ofmiceandmen: '1566505618781-0' });
  });

  it('of two requests racing for one book, exactly one gets it', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => checkout('dune', `1700000000000-${i}`)));
    expect(replies.filter((reply) => reply.statusCode === 200)).toHaveLength(1);
    expect(replies.filter((reply) => reply.statusCode === 409)).toHaveLength(7);
  });

  it('answers 400 to bad input and writes nothing', async () => {
    for (const [bookId, payload] of [
      ['ofmiceandmen', {}],
      ['ofmiceandmen', { requestId: '' }],
      ['ofmiceandmen', { requestId: 42 }],
      ['ofmiceandmen', { requestId: 'has space' }],
      ['ofmiceandmen', { requestId: '1-0', extra: true }],
      ['bad%20id', { requestId: '1-0' }],
    ] as const) {
      const reply = await shelving.app.inject({ method: 'POST', url: `/books/${bookId}/checkout`, payload });
      expect(reply.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await shelving.app.inject({ method: 'GET', url: '/books/bad%20id' })).statusCode).toBe(400);
    expect(await store.exists(shelvingKeys.out())).toBe(0);
  });
});

describe('BooksSentToShelving', () => {
  it('puts the books back on their shelves', async () => {
    await checkout('a', '1-0');
    await checkout('b', '1-0');
    await checkout('c', '2-0');
    await lending.publish(BooksSentToShelving, { requestId: '3-0', bookIds: ['a', 'b'] });
    await caughtUp();
    expect(await store.hGetAll(shelvingKeys.out())).toEqual({ c: '2-0' });
    expect(await book('a')).toEqual({ bookId: 'a', onShelf: true });
  });

  it('applies an event once: a redelivery after the book was handed out again leaves it handed out', async () => {
    await checkout('a', '1-0');
    const event = lending.envelope(BooksSentToShelving, { requestId: '2-0', bookIds: ['a'] });
    await lending.publishEnvelopes([event]);
    await caughtUp();
    expect((await checkout('a', '3-0')).statusCode).toBe(200);
    // The same event again (a producer's retry, or a replay from the dead-letter stream).
    await lending.publishEnvelopes([event]);
    await caughtUp();
    expect(await book('a')).toEqual({ bookId: 'a', onShelf: false, heldBy: '3-0' });
    expect(await store.ttl(shelvingKeys.handled(event.id))).toBeGreaterThan(600_000);
  });
});

describe('RequestRejected SHELVING_UNAVAILABLE (a checkout whose answer lending never got)', () => {
  it('puts back the books at fault still held by that request, and nothing else', async () => {
    await checkout('a', '1-0'); // handed, but the answer was lost: lending refused 1-0
    await checkout('b', '2-0'); // held by another request
    await lending.publish(RequestRejected, { requestId: '1-0', userId: 'u', bookIds: ['a', 'b'], reason: 'SHELVING_UNAVAILABLE', bookIdsAtFault: ['a', 'b'] });
    // Other reasons are lending's own business: nothing to release.
    await checkout('c', '3-0');
    await lending.publish(RequestRejected, { requestId: '3-0', userId: 'u', bookIds: ['c'], reason: 'LIMIT_EXCEEDED', bookIdsAtFault: ['c'] });
    await caughtUp();
    expect(await store.hGetAll(shelvingKeys.out())).toEqual({ b: '2-0', c: '3-0' });
    expect(await book('a')).toEqual({ bookId: 'a', onShelf: true });
  });

  it('a redelivery after the book was handed to another request changes nothing', async () => {
    await checkout('a', '1-0');
    const event = lending.envelope(RequestRejected, { requestId: '1-0', userId: 'u', bookIds: ['a'], reason: 'SHELVING_UNAVAILABLE', bookIdsAtFault: ['a'] });
    await lending.publishEnvelopes([event]);
    await caughtUp();
    expect((await checkout('a', '4-0')).statusCode).toBe(200);
    await lending.publishEnvelopes([event]);
    await caughtUp();
    expect(await book('a')).toEqual({ bookId: 'a', onShelf: false, heldBy: '4-0' });
  });
});
