import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listDeadLetters, type Envelope, type EventData } from 'tributary';
import { leaderboardKeys } from 'tributary/leaderboard';
import { OrderBlocked, OrderCompleted, OrderPlaced } from '@tributary/contracts';
import { HANDLED_TTL_SECONDS, ORDER_LINES_TTL_SECONDS, monitoringKeys } from '../src/store/keys.ts';
import { useOrderMonitoring } from './harness.ts';

const t = useOrderMonitoring();

interface Entry {
  member: string;
  score: number;
  rank: number;
}

type Line = { productId: string; quantity: number; unitPriceCents: number };

/** An order's OrderPlaced and its OrderCompleted (total = the lines' sum). */
function order(userId: string, lines: Line[]): { placed: Envelope<EventData<typeof OrderPlaced>>; completed: Envelope<EventData<typeof OrderCompleted>> } {
  const orderId = randomUUID();
  const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return {
    placed: t.ordering.envelope(OrderPlaced, { orderId, userId, items: lines, totalCents }),
    completed: t.ordering.envelope(OrderCompleted, { orderId, userId, totalCents }),
  };
}

async function board(name: string, limit?: number): Promise<Entry[]> {
  const reply = await t.service.app.inject({ method: 'GET', url: `/leaderboards/${name}${limit ? `?limit=${limit}` : ''}` });
  expect(reply.statusCode).toBe(200);
  const body = reply.json<{ board: string; items: Entry[] }>();
  expect(body.board).toBe(name);
  return body.items;
}

async function publishAll(events: Array<Envelope<unknown>>): Promise<void> {
  const entryIds = await t.ordering.publishEnvelopes(events);
  await t.handledUpTo(entryIds[entryIds.length - 1] as string);
}

const [ann, bob, cyd] = ['user-ann', 'user-bob', 'user-cyd'];
const [tea, haggis, book] = ['prod-tea', 'prod-haggis', 'prod-book'];

describe('leaderboards from ordering events', () => {
  it('ranks units sold per product and cents spent per user, for completed orders only', async () => {
    const first = order(ann, [{ productId: tea, quantity: 2, unitPriceCents: 300 }, { productId: haggis, quantity: 1, unitPriceCents: 1_250 }]);
    const second = order(bob, [{ productId: tea, quantity: 3, unitPriceCents: 300 }, { productId: tea, quantity: 1, unitPriceCents: 300 }]);
    const third = order(ann, [{ productId: book, quantity: 1, unitPriceCents: 900 }]);
    const blocked = order(cyd, [{ productId: haggis, quantity: 50, unitPriceCents: 1_250 }]);
    await publishAll([
      first.placed, second.placed, third.placed, blocked.placed,
      first.completed, second.completed, third.completed,
      t.ordering.envelope(OrderBlocked, { orderId: blocked.placed.data.orderId, userId: cyd, reason: 'FAILED_PAYMENT_NO_FUNDS' }),
    ]);

    expect(await board('best-sellers')).toEqual([
      { member: tea, score: 6, rank: 1 },
      // book and haggis tie on 1: ordered by member ascending.
      { member: book, score: 1, rank: 2 },
      { member: haggis, score: 1, rank: 3 },
    ]);
    expect(await board('top-spenders')).toEqual([
      { member: ann, score: 600 + 1_250 + 900, rank: 1 },
      { member: bob, score: 1_200, rank: 2 },
    ]);
    expect(await board('best-sellers', 1)).toEqual([{ member: tea, score: 6, rank: 1 }]);
  });

  it('a redelivered OrderPlaced or OrderCompleted (same event twice) counts once', async () => {
    const { placed, completed } = order(ann, [{ productId: tea, quantity: 2, unitPriceCents: 300 }]);
    await publishAll([placed, placed, completed, completed, placed, completed]);
    expect(await board('best-sellers')).toEqual([{ member: tea, score: 2, rank: 1 }]);
    expect(await board('top-spenders')).toEqual([{ member: ann, score: 600, rank: 1 }]);
  });

  it('remembers the event ids it counted for the handled-marker retention it was given (HANDLED_MARKER_RETENTION_MS), not a fixed week', async () => {
    const remembered = async () => Promise.all(['best-sellers', 'top-spenders'].map((name) => t.store.pTTL(leaderboardKeys(monitoringKeys.leaderboards(), name).operations)));
    const first = order(ann, [{ productId: tea, quantity: 1, unitPriceCents: 300 }]);
    await publishAll([first.placed, first.completed]);
    for (const ttl of await remembered()) expect(ttl).toBeGreaterThan(60_000);
    await t.restart({}, 60);
    const second = order(bob, [{ productId: tea, quantity: 1, unitPriceCents: 300 }]);
    await publishAll([second.placed, second.completed]);
    for (const ttl of await remembered()) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    expect(HANDLED_TTL_SECONDS).toBeGreaterThan(60);
  });

  it("drops an order's lines once the order is ranked", async () => {
    const { placed, completed } = order(ann, [{ productId: tea, quantity: 2, unitPriceCents: 300 }]);
    await publishAll([placed]);
    expect(await t.store.exists(monitoringKeys.orderLines(placed.data.orderId))).toBe(1);
    await publishAll([completed]);
    expect(await board('best-sellers')).toEqual([{ member: tea, score: 2, rank: 1 }]);
    expect(await t.store.exists(monitoringKeys.orderLines(placed.data.orderId))).toBe(0);
  });

  it('OrderCompleted whose OrderPlaced was never seen: counted for top-spenders, skipped for best-sellers, no dead letter', async () => {
    const { completed } = order(bob, [{ productId: haggis, quantity: 4, unitPriceCents: 1_000 }]);
    await publishAll([completed]);
    expect(await board('top-spenders')).toEqual([{ member: bob, score: 4_000, rank: 1 }]);
    expect(await board('best-sellers')).toEqual([]);
    expect(await listDeadLetters(t.bus, OrderCompleted.stream)).toEqual([]);
  });

  it("keeps an order's lines with an expiry, so orders that never complete do not pile up", async () => {
    const { placed } = order(ann, [{ productId: tea, quantity: 2, unitPriceCents: 300 }, { productId: tea, quantity: 1, unitPriceCents: 300 }]);
    await publishAll([placed]);
    const key = monitoringKeys.orderLines(placed.data.orderId);
    expect(await t.store.hGetAll(key)).toEqual({ [`item:${tea}`]: '3' });
    const ttl = await t.store.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(ORDER_LINES_TTL_SECONDS);
    expect(await board('best-sellers')).toEqual([]);
  });

  it('corrupt stored lines make the handler fail loudly (retried, then dead-lettered), never a silent miscount', async () => {
    const { placed, completed } = order(ann, [{ productId: tea, quantity: 2, unitPriceCents: 300 }]);
    await publishAll([placed]);
    await t.store.hSet(monitoringKeys.orderLines(placed.data.orderId), `item:${tea}`, 'two');
    // A restart with fast retries, so the entry reaches the dead-letter stream quickly.
    await t.restart({ maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 20 });
    await publishAll([completed]);
    const letters = await listDeadLetters(t.bus, OrderCompleted.stream);
    expect(letters.map((letter) => letter.handler)).toEqual(['OrderCompleted']);
    expect(await board('best-sellers')).toEqual([]);
  });
});

describe('GET /leaderboards/:board and /leaderboards/:board/members/:member', () => {
  it("answers a member's rank and score, 404 NOT_RANKED for a member without one", async () => {
    const first = order(ann, [{ productId: tea, quantity: 1, unitPriceCents: 500 }]);
    const second = order(bob, [{ productId: tea, quantity: 1, unitPriceCents: 700 }]);
    await publishAll([first.placed, second.placed, first.completed, second.completed]);

    const found = await t.service.app.inject({ method: 'GET', url: `/leaderboards/top-spenders/members/${ann}` });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ member: ann, score: 500, rank: 2 });

    const missing = await t.service.app.inject({ method: 'GET', url: `/leaderboards/top-spenders/members/${cyd}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'NOT_RANKED' });
  });

  it('404 UNKNOWN_LEADERBOARD for a board that does not exist, 400 for a bad limit or member', async () => {
    for (const url of ['/leaderboards/worst-sellers', `/leaderboards/worst-sellers/members/${ann}`]) {
      const reply = await t.service.app.inject({ method: 'GET', url });
      expect(reply.statusCode).toBe(404);
      expect(reply.json()).toMatchObject({ error: 'UNKNOWN_LEADERBOARD' });
    }
    for (const url of ['/leaderboards/best-sellers?limit=0', '/leaderboards/best-sellers?limit=101', '/leaderboards/best-sellers?limit=ten', '/leaderboards/best-sellers/members/not%20an%20id']) {
      const reply = await t.service.app.inject({ method: 'GET', url });
      expect(reply.statusCode, url).toBe(400);
      expect(reply.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    }
  });

  it('limit defaults to 10 and caps the list', async () => {
    const orders = Array.from({ length: 12 }, (_, index) => order(`user-${String(index).padStart(2, '0')}`, [{ productId: tea, quantity: 1, unitPriceCents: 100 + index }]));
    await publishAll([...orders.map((entry) => entry.placed), ...orders.map((entry) => entry.completed)]);
    const top = await board('top-spenders');
    expect(top).toHaveLength(10);
    expect(top[0]).toEqual({ member: 'user-11', score: 111, rank: 1 });
    expect(await board('top-spenders', 100)).toHaveLength(12);
  });
});
