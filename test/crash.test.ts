import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { waitFor } from 'tributary/testing';
import { startTestSystem, type TestSystem, type OrderReply as Order, type AccountReply as Account } from './support/system.ts';

const USERS = 4;
const BALANCE = 3_000;
const ORDERS = 40;
const STOCK = 15;

/**
 * Parallel orders against few accounts and scarce stock, while accounts and
 * fulfillment are killed with SIGKILL mid-burst and restarted by the
 * supervisor. Every order must end in exactly one terminal state and the
 * money and stock invariants must hold.
 */
// Deadlines are generous: killed services restart (tsx, PGlite) slowly on a loaded 2-core machine.
describe('invariants under concurrency and crashes', { timeout: 400_000 }, () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem('pglite');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('keeps money and stock consistent when accounts and fulfillment are killed during a burst', async () => {
    const users: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const created = await t.api<{ id: string }>('POST', '/api/users', { name: `Buyer ${i}`, email: `buyer${i}@example.com`, country: 'GB', balanceCents: BALANCE });
      expect(created.status).toBe(201);
      users.push(created.body.id);
    }
    const created = await t.api<{ id: string }>('POST', '/api/products', { sku: 'SCARCE', name: 'Scarce', priceCents: 400, stock: STOCK, bannedCountries: [] });
    const productId = created.body.id;

    const orderIds: string[] = [];
    // While a service is down the gateway answers 503; a client retries with
    // the same Idempotency-Key, so a retry never makes a second order.
    const place = async (i: number) => {
      const placed = await waitFor(
        async () => {
          const answer = await t.api<{ orderId: string }>(
            'POST',
            '/api/orders',
            { userId: users[i % USERS], items: [{ productId, quantity: 1 + (i % 2) }] },
            { 'idempotency-key': `burst-${i}` },
          );
          if (answer.status !== 503) return answer;
          return null;
        },
        { timeoutMs: 120_000, intervalMs: 100, description: `order ${i} accepted` },
      );
      expect(placed.status).toBe(202);
      orderIds.push(placed.body.orderId);
    };
    // Waves of parallel orders with a crash between them.
    await Promise.all(Array.from({ length: 15 }, (_, i) => place(i)));
    await t.system.process('accounts').signal('SIGKILL');
    await Promise.all(Array.from({ length: 10 }, (_, i) => place(15 + i)));
    await t.system.process('fulfillment').signal('SIGKILL');
    await Promise.all(Array.from({ length: ORDERS - 25 }, (_, i) => place(25 + i)));
    expect(t.system.process('accounts').restartCount).toBeGreaterThanOrEqual(1);
    expect(t.system.process('fulfillment').restartCount).toBeGreaterThanOrEqual(1);

    const orders = await waitFor(
      async () => {
        const all = await Promise.all(orderIds.map((id) => t.api<Order>('GET', `/api/orders/${id}`)));
        const bodies = all.map((answer) => answer.body);
        return bodies.every((order) => TERMINAL_STATUSES.includes(order.status as never)) ? bodies : null;
      },
      { timeoutMs: 180_000, intervalMs: 250, description: 'every order terminal' },
    );
    expect(orders).toHaveLength(ORDERS);

    const completed = orders.filter((order) => order.status === 'COMPLETED_SUCCESSFULLY');
    for (const userId of users) {
      const spentOnCompleted = completed.filter((order) => order.userId === userId).reduce((sum, order) => sum + order.totalCents, 0);
      const account = await waitFor(
        async () => {
          const current = (await t.api<Account>('GET', `/api/users/${userId}/account`)).body;
          return current.spentCents === spentOnCompleted && current.reservedCents === 0 ? current : null;
        },
        { timeoutMs: 90_000, description: `reservations of ${userId} deducted or refunded` },
      );
      expect(account.availableCents + account.reservedCents + account.spentCents).toBe(BALANCE);
      expect(account.availableCents).toBeGreaterThanOrEqual(0);
    }

    const shipped = completed.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
    const stock = await t.serviceFetch(`${t.system.urls.fulfillment}/stock/${productId}`).then((response) => response.json() as Promise<{ stock: number }>);
    expect(stock.stock).toBe(STOCK - shipped);
    expect(stock.stock).toBeGreaterThanOrEqual(0);
  });

  it('checks out each basket once and mails each order once when basket and mailing are killed', async () => {
    const SHOPPERS = 6;
    const PRICE = 700;
    const created = await t.api<{ id: string }>('POST', '/api/products', { sku: 'BASKETED', name: 'Basketed', priceCents: PRICE, stock: 1_000, bannedCountries: [] });
    expect(created.status).toBe(201);
    const productId = created.body.id;
    const shoppers: string[] = [];
    for (let i = 0; i < SHOPPERS; i++) {
      const user = await t.api<{ id: string }>('POST', '/api/users', { name: `Shopper ${i}`, email: `crash-shopper${i}@example.com`, country: 'GB', balanceCents: 100_000 });
      shoppers.push(user.body.id);
      await waitFor(async () => (await t.api('PUT', `/api/baskets/${user.body.id}/items/${productId}`, { quantity: 2 })).status === 200, {
        description: 'basket knows the product',
      });
    }

    // A client retries a checkout until it gets an answer that is not 503.
    // If basket dies after recording a checkout but before answering, the
    // retry sees the pending order id, or 422 once the order emptied the basket.
    const checkout = (userId: string) =>
      waitFor(
        async () => {
          const answer = await t.api<{ orderId?: string; error?: string }>('POST', `/api/baskets/${userId}/checkout`);
          return answer.status === 503 ? null : answer;
        },
        { timeoutMs: 120_000, intervalMs: 100, description: `checkout of ${userId} answered` },
      );
    const answers = Promise.all(shoppers.map((userId) => Promise.all([checkout(userId), checkout(userId)])));
    await t.system.process('basket').signal('SIGKILL');
    await t.system.process('mailing').signal('SIGKILL');
    const replies = await answers;
    expect(t.system.process('basket').restartCount).toBeGreaterThanOrEqual(1);
    expect(t.system.process('mailing').restartCount).toBeGreaterThanOrEqual(1);

    for (const [index, userId] of shoppers.entries()) {
      const pair = replies[index] ?? [];
      for (const reply of pair) expect([202, 422]).toContain(reply.status);
      const seen = new Set(pair.filter((reply) => reply.status === 202).map((reply) => reply.body.orderId));
      expect(seen.size).toBeLessThanOrEqual(1);

      // Exactly one order was paid for: the basket's total, once.
      await waitFor(async () => (await t.api<Account>('GET', `/api/users/${userId}/account`)).body.spentCents === 2 * PRICE, {
        timeoutMs: 120_000,
        description: `${userId} paid for one checkout`,
      });
      // Exactly one mail for it, even though mailing was killed.
      const mails = await waitFor(async () => {
        const answer = await t.api<{ items: Array<{ kind: string; orderId: string | null }> }>('GET', `/api/users/${userId}/mails`);
        const completedMails = answer.body.items.filter((mail) => mail.kind === 'ORDER_COMPLETED');
        return completedMails.length > 0 ? completedMails : null;
      }, { timeoutMs: 120_000, description: `${userId} was mailed` });
      expect(mails).toHaveLength(1);
      if (seen.size === 1) expect(mails[0]?.orderId).toBe([...seen][0]);
      const basket = await t.api<{ items: unknown[] }>('GET', `/api/baskets/${userId}`);
      expect(basket.body.items).toEqual([]);
    }
    // Nothing more is coming: a late duplicate would show up as a second charge.
    for (const userId of shoppers) {
      expect((await t.api<Account>('GET', `/api/users/${userId}/account`)).body).toMatchObject({ spentCents: 2 * PRICE, reservedCents: 0 });
    }
  });
});
