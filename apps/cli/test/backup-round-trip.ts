import { expect } from 'vitest';
import { TERMINAL_STATUSES } from '@tributary/contracts';
import { waitFor } from 'tributary/testing';
import type { SupervisedTestSystem } from '../../../test/support/system.ts';

// What backup.test.ts and backup-postgres.test.ts do to a system before its backup, and compare after the restore.

interface Order {
  id: string;
  status: string;
  deliveryId?: string | null;
}

const READERS = ['backup-reader-0', 'backup-reader-1'];

export type Ids = { orders: string[]; users: string[]; products: string[]; requests: string[]; deliveries: string[]; day: string };
export type Readable = Pick<SupervisedTestSystem, 'system' | 'api' | 'serviceFetch'>;

/** Everything the backup tests compare, read through the public API (and fulfillment's own port for stock). */
export async function state(t: Readable, ids: Ids) {
  const body = async <T>(path: string) => {
    const answer = await t.api<T>('GET', path);
    expect(answer.status, path).toBe(200);
    return answer.body;
  };
  return {
    orders: await Promise.all(ids.orders.map((id) => body(`/api/orders/${id}`))),
    accounts: await Promise.all(ids.users.map((id) => body(`/api/users/${id}/account`))),
    stock: await Promise.all(ids.products.map(async (id) => (await t.serviceFetch(`${t.system.urls.fulfillment}/stock/${id}`)).json())),
    loans: await Promise.all(READERS.map((reader) => body(`/api/lending/users/${reader}/books`))),
    requests: await Promise.all(ids.requests.map((id) => body(`/api/lending/requests/${id}`))),
    histories: await Promise.all(ids.deliveries.map((id) => body(`/api/deliveries/${id}/history`))),
    lake: await body(`/api/analytics/deliveries?from=${ids.day}&to=${ids.day}`),
  };
}

/**
 * Users, products, two orders and two lending requests on a running system,
 * then quiet: every order delivered, every request decided, every balance
 * settled, the lake written. Answers the ids and what the system reads back.
 */
export async function populate(t: Readable): Promise<{ ids: Ids; before: Awaited<ReturnType<typeof state>> }> {
  const users: string[] = [];
  const products: string[] = [];
  for (let i = 0; i < 2; i++) {
    const user = await t.api<{ id: string }>('POST', '/api/users', { name: `Backup ${i}`, email: `backup-${i}@example.com`, country: 'GB', balanceCents: 10_000 });
    expect(user.status).toBe(201);
    await t.api('PATCH', `/api/users/${user.body.id}`, { address: `${i} Backup Street, London` });
    users.push(user.body.id);
    const product = await t.api<{ id: string }>('POST', '/api/products', { sku: `BACKUP-${i}`, name: `Backup ${i}`, priceCents: 700 + i * 100, stock: 10, bannedCountries: [] });
    expect(product.status).toBe(201);
    products.push(product.body.id);
  }
  const orderIds: string[] = [];
  for (const [i, userId] of users.entries()) {
    const placed = await t.api<{ orderId: string }>('POST', '/api/orders', { userId, items: [{ productId: products[i] as string, quantity: i + 1 }] });
    expect(placed.status).toBe(202);
    orderIds.push(placed.body.orderId);
  }
  const requests: string[] = [];
  for (const [i, reader] of READERS.entries()) {
    const lent = await t.api<{ requestId: string }>('POST', '/api/lending/requests', { userId: reader, bookIds: [`backup-book-${i}`, 'backup-book-shared'] });
    expect(lent.status).toBe(202);
    requests.push(lent.body.requestId);
  }

  // Quiet before the backup: every order delivered, every request decided, every balance settled, the lake written.
  const orders = await Promise.all(
    orderIds.map((id) =>
      waitFor(
        async () => {
          const order = (await t.api<Order>('GET', `/api/orders/${id}`)).body;
          return TERMINAL_STATUSES.includes(order.status as never) && order.deliveryId ? order : null;
        },
        { timeoutMs: 60_000, description: `order ${id} completed with a delivery` },
      ),
    ),
  );
  expect(orders.map((order) => order.status)).toEqual(['COMPLETED_SUCCESSFULLY', 'COMPLETED_SUCCESSFULLY']);
  const deliveries = orders.map((order) => order.deliveryId as string);
  const histories = await Promise.all(
    deliveries.map((id) =>
      waitFor(async () => {
        const found = await t.api<{ status: string; finishedAt: string }>('GET', `/api/deliveries/${id}/history`);
        return found.status === 200 && found.body.status === 'DELIVERED' ? found.body : null;
      }, { timeoutMs: 60_000, description: `delivery ${id} in the history` }),
    ),
  );
  const day = (histories[0] as { finishedAt: string }).finishedAt.slice(0, 10);
  await waitFor(async () => {
    const analytics = await t.api<{ totals: { delivered: number } }>('GET', `/api/analytics/deliveries?from=${day}&to=${day}`);
    return analytics.body.totals?.delivered === deliveries.length;
  }, { timeoutMs: 30_000, description: 'the lake holds both deliveries' });
  await waitFor(async () => {
    const decided = await Promise.all(requests.map(async (id) => (await t.api<{ status: string }>('GET', `/api/lending/requests/${id}`)).body.status));
    return decided.every((status) => status !== 'PENDING');
  }, { timeoutMs: 30_000, description: 'lending requests decided' });
  await waitFor(async () => {
    const accounts = await Promise.all(users.map(async (id) => (await t.api<{ reservedCents: number; spentCents: number }>('GET', `/api/users/${id}/account`)).body));
    return accounts.every((account) => account.reservedCents === 0 && account.spentCents > 0);
  }, { timeoutMs: 30_000, description: 'reservations deducted' });

  const ids = { orders: orderIds, users, products, requests, deliveries, day };
  const before = await state(t, ids);
  // Something to compare that is not empty: stock taken, money spent, the shared book lent to one reader.
  expect(before.stock.map((entry) => (entry as { stock: number }).stock)).toEqual([9, 8]);
  expect(before.accounts.map((account) => (account as { spentCents: number }).spentCents)).toEqual([700, 1_600]);
  expect(before.loans.flatMap((loan) => (loan as { bookIds: string[] }).bookIds)).toContain('backup-book-shared');
  return { ids, before };
}
