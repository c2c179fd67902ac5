import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { SERVICES, type ServiceName } from '@tributary/launcher';
import { connectRedis, type Envelope } from 'tributary';
import { readEnvelopes, waitFor } from 'tributary/testing';
import { createdId, eventIdsByKey, orderEventKey, retryable, settledAccount, spentBy, submitRetrying } from './support/invariants.ts';
import { settledBookPlaces, startSupervisedTestSystem, type AccountReply as Account, type OrderReply as Order, type SupervisedTestSystem } from './support/system.ts';

/**
 * Chaos: one system whose launcher owns its Redis servers, and a burst of
 * orders, basket checkouts and lending requests in waves. During each wave
 * one part is killed with SIGKILL: the bus redis-server, the store
 * redis-server, or a stateful service, in turn, and last the service host
 * process, which ends every threaded service at once (such a service alone
 * is a thread of it, ended as abruptly: no finally block or shutdown hook runs). The launcher must bring each
 * back, and at the end every order and request is final, money and stock are
 * conserved, every book is in exactly one place, and no event was handled
 * twice (one event per order or request and kind, one mail per order).
 *
 * It took over, with one system instead of three, what a crash test (accounts
 * and fulfillment killed during a burst on scarce stock; basket and mailing
 * during double-clicked checkouts) and a supervised-Redis test (the bus
 * redis-server killed under load) checked on their own systems.
 */

// `serviceHost`: the process that runs the services as threads (all but the gateway and the PGlite ones by default): every one of them at once.
type Target = { redis: 'bus' | 'store' } | { service: ServiceName } | { serviceHost: true };
// Redis servers between services, so services meet a Redis restart in every state of the burst.
const TARGETS: Target[] = [
  { redis: 'bus' },
  { service: 'accounts' },
  { service: 'ordering' },
  { service: 'catalog' },
  { redis: 'store' },
  { service: 'fulfillment' },
  { service: 'basket' },
  { service: 'lending' },
  { service: 'shelving' },
  { service: 'mailing' },
  { service: 'package' },
  { service: 'delivery' },
  { serviceHost: true },
];
const targetName = (target: Target) => ('redis' in target ? `${target.redis}-redis` : 'service' in target ? target.service : 'service-host');

const BUYERS = 4;
const BALANCE = 6_000;
const PRICE = 400;
const STOCK = 30;
const ORDERS_PER_WAVE = 5;
const BASKET_PRICE = 700;
const READERS = 4;
const BOOKS = Array.from({ length: 8 }, (_, i) => `chaos-book-${i}`);
/** Small, so returned books also overflow to shelving (BooksSentToShelving). */
const STORAGE_CAPACITY = 2;

describe('chaos: kill -9 of each Redis server and each stateful service during a burst', { timeout: 300_000 }, () => {
  let t: SupervisedTestSystem;
  beforeAll(async () => {
    t = await startSupervisedTestSystem({ env: { LENDING_STORAGE_CAPACITY: String(STORAGE_CAPACITY) } });
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
  });

  const submit = <T>(path: string, body: unknown, key: string) => submitRetrying<T>(t.api, path, body, key);

  async function streamEvents(stream: string): Promise<Envelope[]> {
    const bus = await connectRedis(t.system.busRedisUrl);
    try {
      return await readEnvelopes(bus, stream);
    } finally {
      await bus.close();
    }
  }

  it('heals every part it kills; orders and requests end once, money, stock and books are conserved', async () => {
    const { system, api, serviceFetch } = t;
    const create = (path: string, body: unknown) => createdId(api, path, body);
    const buyers: string[] = [];
    for (let i = 0; i < BUYERS; i++) {
      buyers.push(await create('/api/users', { name: `Chaos buyer ${i}`, email: `chaos-buyer${i}@example.com`, country: 'GB', balanceCents: BALANCE }));
    }
    const scarce = await create('/api/products', { sku: 'CHAOS-SCARCE', name: 'Scarce', priceCents: PRICE, stock: STOCK, bannedCountries: [] });
    const plenty = await create('/api/products', { sku: 'CHAOS-PLENTY', name: 'Plenty', priceCents: BASKET_PRICE, stock: 1_000, bannedCountries: [] });
    // One shopper per wave, each with a filled basket, checks out (twice, a double click) during that wave.
    const shoppers: string[] = [];
    for (let i = 0; i < TARGETS.length; i++) {
      const shopper = await create('/api/users', { name: `Chaos shopper ${i}`, email: `chaos-shopper${i}@example.com`, country: 'GB', balanceCents: 100_000 });
      shoppers.push(shopper);
      await waitFor(async () => (await api('PUT', `/api/baskets/${shopper}/items/${plenty}`, { quantity: 2 })).status === 200, {
        description: 'basket knows the product',
      });
    }

    const orderIds: string[] = [];
    const requestIds: string[] = [];
    let serial = 0;
    const placeOrder = async () => {
      const i = serial++;
      const placed = await submit<{ orderId: string }>('/api/orders', { userId: buyers[i % BUYERS], items: [{ productId: scarce, quantity: 1 + (i % 2) }] }, `chaos-order-${i}`);
      expect(placed.status, JSON.stringify(placed.body)).toBe(202);
      orderIds.push(placed.body.orderId);
    };
    const lendingAction = async (kind: 'requests' | 'returns') => {
      const i = serial++;
      const bookIds = [BOOKS[i % BOOKS.length] as string, BOOKS[(i * 3 + 1) % BOOKS.length] as string].filter((id, index, all) => all.indexOf(id) === index);
      const submitted = await submit<{ requestId: string }>(`/api/lending/${kind}`, { userId: `chaos-reader-${i % READERS}`, bookIds }, `chaos-lending-${i}`);
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
      requestIds.push(submitted.body.requestId);
    };
    const checkedOut = new Map<string, Set<string>>();
    const checkout = async (shopper: string) => {
      const answer = await waitFor(
        async () => {
          const reply = await api<{ orderId?: string }>('POST', `/api/baskets/${shopper}/checkout`);
          return retryable(reply) ? null : reply;
        },
        { timeoutMs: 90_000, intervalMs: 100, description: `checkout of ${shopper} answered` },
      );
      // 422: the other click's order already emptied the basket.
      expect([202, 422], JSON.stringify(answer.body)).toContain(answer.status);
      if (answer.status === 202) checkedOut.set(shopper, (checkedOut.get(shopper) ?? new Set()).add(answer.body.orderId as string));
    };

    for (const [wave, target] of TARGETS.entries()) {
      const shopper = shoppers[wave] as string;
      const burst = Promise.all([
        ...Array.from({ length: ORDERS_PER_WAVE }, placeOrder),
        lendingAction('requests'),
        lendingAction('requests'),
        lendingAction('returns'),
        checkout(shopper),
        checkout(shopper),
      ]);
      const supervised = 'redis' in target ? system.redis(target.redis)?.process : 'service' in target ? system.process(target.service) : system.serviceHost();
      expect(supervised, `${targetName(target)} is supervised`).toBeDefined();
      await supervised?.signal('SIGKILL');
      await burst;
      // The launcher brings it back by itself.
      if ('redis' in target) await system.redis(target.redis)?.waitReady(60_000);
      else if ('service' in target) await system.waitReady(target.service, 60_000);
      else await Promise.all(SERVICES.map((name) => system.waitReady(name, 60_000)));
      expect(supervised?.restartCount, `${targetName(target)} restarted`).toBeGreaterThanOrEqual(1);
    }

    // Every order, including those a checkout made, whatever its reply said.
    const ordering = await waitFor(
      async () => {
        const events = await streamEvents('ordering:events');
        const placed = events.filter((event) => event.type === 'OrderPlaced');
        return placed.length >= orderIds.length + shoppers.length ? events : null;
      },
      { timeoutMs: 180_000, description: 'every order placed on ordering:events' },
    );
    const placedData = ordering.filter((event) => event.type === 'OrderPlaced').map((event) => event.data as { orderId: string; userId: string });
    const allOrderIds = [...new Set(placedData.map((data) => data.orderId))];
    expect(allOrderIds).toEqual(expect.arrayContaining(orderIds));

    const orders = await waitFor(
      async () => {
        const all = await Promise.all(allOrderIds.map((id) => api<Order>('GET', `/api/orders/${id}`)));
        return all.every((answer) => answer.status === 200 && TERMINAL_STATUSES.includes(answer.body.status as never)) ? all.map((answer) => answer.body) : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'every order final' },
    );
    const lendingOutcomes = await waitFor(
      async () => {
        const all = await Promise.all(requestIds.map((id) => api<{ status: string; userId?: string }>('GET', `/api/lending/requests/${id}`)));
        return all.every((answer) => answer.status === 200 && answer.body.status !== 'PENDING') ? all.map((answer) => answer.body) : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'every lending request decided' },
    );
    expect(lendingOutcomes.filter((outcome) => !['ACCEPTED', 'REJECTED', 'PROCESSED'].includes(outcome.status))).toEqual([]);

    // Money: each buyer paid for exactly their completed orders, and nothing is left reserved.
    const completed = orders.filter((order) => order.status === 'COMPLETED_SUCCESSFULLY');
    for (const userId of buyers) {
      const account = await settledAccount(api, userId, spentBy(completed, userId));
      expect(account.availableCents + account.reservedCents + account.spentCents).toBe(BALANCE);
      expect(account.availableCents).toBeGreaterThanOrEqual(0);
    }
    // Each shopper's basket became one order, paid once; the basket is empty.
    for (const shopper of shoppers) {
      const placedForShopper = placedData.filter((data) => data.userId === shopper).map((data) => data.orderId);
      expect(placedForShopper, `orders of ${shopper}`).toHaveLength(1);
      // Both clicks that got a 202 were told of that one order.
      for (const orderId of checkedOut.get(shopper) ?? []) expect(orderId).toBe(placedForShopper[0]);
      await waitFor(
        async () => {
          const current = await api<Account>('GET', `/api/users/${shopper}/account`);
          return current.status === 200 && current.body.spentCents === 2 * BASKET_PRICE && current.body.reservedCents === 0;
        },
        { timeoutMs: 60_000, description: `${shopper} paid for one checkout` },
      );
      expect((await api<{ items: unknown[] }>('GET', `/api/baskets/${shopper}`)).body.items).toEqual([]);
    }

    // Stock: what fulfillment has left plus what it shipped is what there was.
    const sold = completed.filter((order) => buyers.includes(order.userId)).reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
    const stock = await serviceFetch(`${system.urls.fulfillment}/stock/${scarce}`).then((response) => response.json() as Promise<{ stock: number }>);
    expect(stock.stock + sold).toBe(STOCK);

    // Books: each is held by one reader, in the automated storage, or on a shelf; never two of these, never none.
    // Shelving learns of books sent back from lending's events, so this holds once it has caught up.
    const books = await settledBookPlaces(t, Array.from({ length: READERS }, (_, r) => `chaos-reader-${r}`), BOOKS);
    expect(books.filter((book) => book.places.length !== 1)).toEqual([]);

    // No event handled twice: one event per order (or request) and type, one terminal event per order.
    for (const stream of ['ordering:events', 'accounts:payments', 'fulfillment:events', 'package:events', 'delivery:events', 'mailing:events']) {
      const events = await streamEvents(stream);
      const doubled = [...eventIdsByKey(events, orderEventKey)].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `${key}: ${[...ids].join(', ')}`);
      expect(doubled, `${stream}: events published twice with different ids`).toEqual([]);
    }
    const finalEvents = await streamEvents('ordering:events');
    for (const order of orders) {
      const terminal = finalEvents.filter((event) => ['OrderCompleted', 'OrderBlocked', 'OrderFailed'].includes(event.type) && (event.data as { orderId: string }).orderId === order.id);
      expect(new Set(terminal.map((event) => event.type)).size, `terminal events of ${order.id} (${order.status})`).toBe(1);
    }
    // One mail per final order, in the mail log itself.
    for (const userId of [...buyers, ...shoppers]) {
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
    // Lending: every request decided exactly once; no request appended twice by a retried POST.
    const lendingEvents = await streamEvents('lending:events');
    const outcomes = eventIdsByKey(lendingEvents, (event) =>
      ['RequestAccepted', 'RequestRejected', 'ReturnProcessed'].includes(event.type) ? (event.data as { requestId: string }).requestId : null,
    );
    for (const requestId of requestIds) expect(outcomes.get(requestId)?.size, `outcomes of ${requestId}`).toBe(1);
    const lendingRequests = await streamEvents('lending:requests');
    expect(lendingRequests).toHaveLength(requestIds.length);

    // Operators see every part up again.
    const services = await api<{ services: Array<{ name: string; up: boolean }> }>('GET', '/api/system/services');
    expect(services.body.services.filter((row) => !row.up)).toEqual([]);
  });
});
