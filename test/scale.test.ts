import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { parseScale, SERVICES, type Scale, type ServiceName } from '@tributary/launcher';
import { connectRedis, type Envelope, type RedisClient } from 'tributary';
import { createServerDatabase, readEnvelopes, waitFor } from 'tributary/testing';
import { createdId, settledAccount, spentBy } from './support/invariants.ts';
import { settledBookPlaces, startSupervisedTestSystem, type OrderReply as Order, type SupervisedTestSystem } from './support/system.ts';

/**
 * Two instances of every service that can have several (`npm start --scale
 * all=2`), the order saga and lending under load, and one instance of each
 * killed with SIGKILL and kept down. Its siblings must take over: every order
 * and lending request ends, once, money, stock and books are conserved, and
 * every entry the dead instances held (their consumers' pending entries) is
 * claimed by a live instance: the dead consumers' XPENDING reaches zero while
 * they are still down, which only a sibling can do.
 *
 * On PGlite (no TEST_DATABASE_URL) the SQL services run one process each,
 * as the launcher requires (their database is a directory one process opens);
 * with TEST_DATABASE_URL they run two like the rest. The gateway and
 * drone-sim are single by design (apps/launcher/src/scale.ts).
 */

const BUYERS = 3;
const BALANCE = 5_000;
const PRICE = 300;
const STOCK = 12;
const ORDERS = 16;
const READERS = 3;
const BOOKS = Array.from({ length: 6 }, (_, i) => `scale-book-${i}`);
const LENDING_ACTIONS = 8;
/** Which instance dies: not the first, whose address `<NAME>_URL` gives the services that call one another (lending → shelving). */
const VICTIM = 1;

function retryable(answer: { status: number; body: unknown }): boolean {
  if (answer.status === 502 || answer.status === 503 || answer.status === 504) return true;
  return answer.status === 409 && (answer.body as { error?: string } | null)?.error === 'IDEMPOTENCY_KEY_IN_PROGRESS';
}

/** Distinct event ids per key: a redelivered handler republishes under the same id, a doubled effect gets a new one. */
function eventIdsByKey(entries: Envelope[], keyOf: (event: Envelope) => string | null): Map<string, Set<string>> {
  const byKey = new Map<string, Set<string>>();
  for (const event of entries) {
    const key = keyOf(event);
    if (key === null) continue;
    byKey.set(key, (byKey.get(key) ?? new Set<string>()).add(event.id));
  }
  return byKey;
}

/** Every consumer group's pending entries held by one of `consumers` (a queue worker's name is `<instance>-<nonce>`). */
async function pendingOf(bus: RedisClient, consumers: readonly string[]): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  const streams: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await bus.sendCommand<[string, string[]]>(['SCAN', cursor, 'TYPE', 'stream', 'COUNT', '1000']);
    cursor = next;
    streams.push(...keys);
  } while (cursor !== '0');
  for (const stream of streams) {
    const groups = await bus.sendCommand<unknown[][]>(['XINFO', 'GROUPS', stream]);
    for (const fields of groups) {
      const group = String(fields[fields.indexOf('name') + 1]);
      const [, , , byConsumer] = await bus.sendCommand<[number, unknown, unknown, Array<[string, string]> | null]>(['XPENDING', stream, group]);
      for (const [consumer, count] of byConsumer ?? []) {
        if (consumers.some((name) => consumer === name || consumer.startsWith(`${name}-`))) held.set(`${stream} ${group} ${consumer}`, Number(count));
      }
    }
  }
  return held;
}

describe('N instances per service: one of each killed under load, its siblings take over', { timeout: 420_000 }, () => {
  let t: SupervisedTestSystem;
  let scale: Scale;
  let dropDatabase: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = process.env.TEST_DATABASE_URL ? await createServerDatabase(process.env.TEST_DATABASE_URL) : null;
    dropDatabase = database?.drop;
    scale = parseScale('all=2', { database: database !== null }).scale;
    // Small storage, so returned books also go back to shelving (BooksSentToShelving).
    t = await startSupervisedTestSystem({ scale, env: { LENDING_STORAGE_CAPACITY: '2' }, ...(database ? { databaseUrl: database.url } : {}) });
  }, 240_000);
  afterAll(async () => {
    await t?.stop();
    await dropDatabase?.();
  });

  it('ends every order and request once, conserves money, stock and books, and reclaims the dead instances\' pending entries', async () => {
    const { system, api, serviceFetch } = t;
    const scaled = SERVICES.filter((name) => scale[name] > 1);
    expect(scaled, 'services with two instances').toEqual(expect.arrayContaining(['fulfillment', 'order-monitoring', 'basket', 'mailing', 'delivery', 'shelving', 'lending']));

    // The operator's list names every instance, each under its own stable name.
    const listed = await api<{ services: Array<{ name: string; up: boolean; instance: string | null; url: string }> }>('GET', '/api/system/services');
    for (const name of scaled) {
      const rows = listed.body.services.filter((row) => row.name === name);
      expect(rows.map((row) => row.instance).sort(), `${name} rows`).toEqual([`${name}-0`, `${name}-1`]);
      expect(rows.map((row) => row.url).sort()).toEqual([...system.instanceUrls[name]].sort());
    }

    const create = (path: string, body: unknown) => createdId(api, path, body);
    const submit = <T>(path: string, body: unknown, key: string) =>
      waitFor(
        async () => {
          const answer = await api<T>('POST', path, body, { 'idempotency-key': key });
          return retryable(answer) ? null : answer;
        },
        { timeoutMs: 90_000, intervalMs: 100, description: `POST ${path} (${key}) answered` },
      );
    const buyers: string[] = [];
    for (let i = 0; i < BUYERS; i++) {
      buyers.push(await create('/api/users', { name: `Scale buyer ${i}`, email: `scale-buyer${i}@example.com`, country: 'GB', balanceCents: BALANCE }));
    }
    const product = await create('/api/products', { sku: 'SCALE-SCARCE', name: 'Scarce', priceCents: PRICE, stock: STOCK, bannedCountries: [] });

    const orderIds: string[] = [];
    const requestIds: string[] = [];
    const placeOrder = async (i: number) => {
      const placed = await submit<{ orderId: string }>('/api/orders', { userId: buyers[i % BUYERS], items: [{ productId: product, quantity: 1 + (i % 2) }] }, `scale-order-${i}`);
      expect(placed.status, JSON.stringify(placed.body)).toBe(202);
      orderIds.push(placed.body.orderId);
    };
    const lendingAction = async (i: number) => {
      const kind = i % 3 === 2 ? 'returns' : 'requests';
      const bookIds = [...new Set([BOOKS[i % BOOKS.length] as string, BOOKS[(i * 3 + 1) % BOOKS.length] as string])];
      const submitted = await submit<{ requestId: string }>(`/api/lending/${kind}`, { userId: `scale-reader-${i % READERS}`, bookIds }, `scale-lending-${i}`);
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
      requestIds.push(submitted.body.requestId);
    };

    // The burst; once it is under way, one instance of every scaled service dies and stays down.
    const burst = Promise.all([...Array.from({ length: ORDERS }, (_, i) => placeOrder(i)), ...Array.from({ length: LENDING_ACTIONS }, (_, i) => lendingAction(i))]);
    await waitFor(() => orderIds.length >= 3, { timeoutMs: 60_000, description: 'the burst under way' });
    const victims = scaled.map((name) => system.process(name, VICTIM));
    // Restarts before the kill (a start that stalled on the loaded machine and was made again) are not the question.
    const restartsAtKill = victims.map((victim) => victim.restartCount);
    await Promise.all(victims.map((victim) => victim.crash()));
    const deadConsumers = scaled.map((name) => `${name}-${VICTIM}`);
    const bus = await connectRedis(system.busRedisUrl);
    try {
      const heldAtDeath = await pendingOf(bus, deadConsumers);
      await burst;

      // Every order and request ends.
      const orders = await waitFor(
        async () => {
          const all = await Promise.all(orderIds.map((id) => api<Order>('GET', `/api/orders/${id}`)));
          return all.every((answer) => answer.status === 200 && TERMINAL_STATUSES.includes(answer.body.status as never)) ? all.map((answer) => answer.body) : null;
        },
        { timeoutMs: 150_000, intervalMs: 250, description: 'every order final' },
      );
      const lendingOutcomes = await waitFor(
        async () => {
          const all = await Promise.all(requestIds.map((id) => api<{ status: string }>('GET', `/api/lending/requests/${id}`)));
          return all.every((answer) => answer.status === 200 && answer.body.status !== 'PENDING') ? all.map((answer) => answer.body) : null;
        },
        { timeoutMs: 150_000, intervalMs: 250, description: 'every lending request decided' },
      );
      expect(lendingOutcomes.filter((outcome) => !['ACCEPTED', 'REJECTED', 'PROCESSED'].includes(outcome.status))).toEqual([]);
      // The gateway still takes turns over lending's and mailing's instances, and skips the dead one: no call is a 503.
      const reads = [];
      for (let i = 0; i < 6; i++) {
        reads.push((await api('GET', `/api/lending/requests/${requestIds[0]}`)).status, (await api('GET', `/api/users/${buyers[0]}/mails`)).status);
      }
      expect(reads.filter((status) => status !== 200), 'reads through the gateway with one instance dead').toEqual([]);

      // What the dead instances held was claimed by their siblings (they are still down: nobody else can have drained it).
      const left = await waitFor(
        async () => {
          const held = await pendingOf(bus, deadConsumers);
          return [...held.values()].every((count) => count === 0) ? held : null;
        },
        { timeoutMs: 150_000, intervalMs: 500, description: `the dead consumers' pending entries reclaimed (held at death: ${JSON.stringify(Object.fromEntries(heldAtDeath))})` },
      ).catch(async () => pendingOf(bus, deadConsumers));
      expect(Object.fromEntries([...left].filter(([, count]) => count > 0)), 'pending entries still on a dead consumer').toEqual({});
      expect(victims.map((victim) => victim.restartCount), 'the victims stayed down').toEqual(restartsAtKill);
      console.info(`scale test: pending entries on the dead consumers when they died: ${JSON.stringify(Object.fromEntries(heldAtDeath))}`);

      // Money: each buyer paid for exactly their completed orders, and nothing is left reserved.
      const completed = orders.filter((order) => order.status === 'COMPLETED_SUCCESSFULLY');
      for (const userId of buyers) {
        const account = await settledAccount(api, userId, spentBy(completed, userId));
        expect(account.availableCents + account.reservedCents + account.spentCents).toBe(BALANCE);
      }
      // Stock: what is left plus what was sold is what there was.
      const sold = completed.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
      const stock = await serviceFetch(`${system.urls.fulfillment}/stock/${product}`).then((response) => response.json() as Promise<{ stock: number }>);
      expect(stock.stock + sold).toBe(STOCK);

      // Books: each held by one reader, in storage, or on a shelf; never two of these, never none.
      const books = await settledBookPlaces(t, Array.from({ length: READERS }, (_, r) => `scale-reader-${r}`), BOOKS);
      expect(books.filter((book) => book.places.length !== 1)).toEqual([]);

      // Nothing handled twice: one event per order and type (per delivery and status), one outcome per lending request.
      const streamEvents = (stream: string): Promise<Envelope[]> => readEnvelopes(bus, stream);
      const byOrder = (event: Envelope) => {
        const data = event.data as { orderId?: string; deliveryId?: string; status?: string; kind?: string };
        if (event.type === 'DeliveryStatusChanged') return `${event.type} ${data.deliveryId} ${data.status}`;
        if (event.type === 'MailSent') return data.orderId ? `${event.type} ${data.orderId} ${data.kind}` : null;
        return data.orderId ? `${event.type} ${data.orderId}` : null;
      };
      for (const stream of ['ordering:events', 'accounts:payments', 'fulfillment:events', 'package:events', 'delivery:events', 'mailing:events']) {
        const doubled = [...eventIdsByKey(await streamEvents(stream), byOrder)].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `${key}: ${[...ids].join(', ')}`);
        expect(doubled, `${stream}: events published twice with different ids`).toEqual([]);
      }
      const outcomes = eventIdsByKey(await streamEvents('lending:events'), (event) =>
        ['RequestAccepted', 'RequestRejected', 'ReturnProcessed'].includes(event.type) ? (event.data as { requestId: string }).requestId : null,
      );
      for (const requestId of requestIds) expect(outcomes.get(requestId)?.size, `outcomes of ${requestId}`).toBe(1);
      // One mail per final order.
      for (const userId of buyers) {
        const mine = orders.filter((order) => order.userId === userId);
        const mails = await waitFor(
          async () => {
            const answer = await api<{ items: Array<{ kind: string; orderId: string | null }> }>('GET', `/api/users/${userId}/mails?limit=100`);
            const orderMails = answer.status === 200 ? answer.body.items.filter((mail) => mail.kind === 'ORDER_COMPLETED' || mail.kind === 'ORDER_FAILED') : [];
            return orderMails.length >= mine.length ? orderMails : null;
          },
          { timeoutMs: 60_000, description: `mails of ${userId}` },
        );
        expect(mails.map((mail) => mail.orderId).sort()).toEqual(mine.map((order) => order.id).sort());
      }
    } finally {
      await bus.close();
    }

    // The operator sees exactly the dead instances down; brought back under their own names, every instance is up.
    const down = (await api<{ services: Array<{ name: string; up: boolean; url: string }> }>('GET', '/api/system/services')).body.services.filter((row) => !row.up);
    expect(down.map((row) => row.url).sort()).toEqual(scaled.map((name) => system.instanceUrls[name][VICTIM] as string).sort());
    for (const victim of victims) victim.resume();
    await Promise.all(scaled.map((name: ServiceName) => system.waitReady(name, 120_000, VICTIM)));
    const after = await api<{ services: Array<{ name: string; up: boolean }> }>('GET', '/api/system/services');
    expect(after.body.services.filter((row) => !row.up)).toEqual([]);
  });
});
