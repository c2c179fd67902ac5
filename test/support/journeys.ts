// What a user does through the public API in every deployment test (TLS,
// Sentinel, Cluster): the shop's saga ending in a drone delivery, a basket
// checkout, and lending requests and a return. Each waits for its outcome
// with a deadline and returns it for the test's own assertions.
import { expect } from 'vitest';
import { waitFor } from 'tributary/testing';
import { finalOrder, type GatewayApi, type OrderReply } from './system.ts';

/** A customer with money and an address (a delivery needs one). */
export async function customer(api: GatewayApi, name: string, email: string): Promise<string> {
  const created = await api<{ id: string }>('POST', '/api/users', { name, email, country: 'GB', balanceCents: 100_000 });
  expect(created.status).toBe(201);
  expect((await api('PATCH', `/api/users/${created.body.id}`, { address: '221B Baker Street, London' })).status).toBe(200);
  return created.body.id;
}

export async function product(api: GatewayApi, sku: string, priceCents: number): Promise<string> {
  const created = await api<{ id: string }>('POST', '/api/products', { sku, name: sku, priceCents, stock: 20, bannedCountries: [] });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** An order placed, completed, and its delivery flown to DELIVERED. */
export async function orderDelivered(api: GatewayApi, userId: string, items: Array<{ productId: string; quantity: number }>): Promise<{ orderId: string; deliveryId: string }> {
  const placed = await api<{ orderId: string }>('POST', '/api/orders', { userId, items });
  expect(placed.status).toBe(202);
  const order = await waitFor(
    async () => {
      const current = await api<{ status: string; deliveryId: string | null }>('GET', `/api/orders/${placed.body.orderId}`);
      return current.body.status === 'COMPLETED_SUCCESSFULLY' && current.body.deliveryId ? current.body : null;
    },
    { timeoutMs: 60_000, description: 'order completed with a delivery' },
  );
  const delivered = await waitFor(
    async () => {
      const live = await api<{ status: string; orderId: string }>('GET', `/api/deliveries/${order.deliveryId as string}`);
      return live.status === 200 && live.body.status === 'DELIVERED' ? live.body : null;
    },
    { timeoutMs: 60_000, description: 'delivery delivered' },
  );
  expect(delivered.orderId).toBe(placed.body.orderId);
  return { orderId: placed.body.orderId, deliveryId: order.deliveryId as string };
}

/** One product put in the user's basket (once the basket knows both) and checked out, to a final order. */
export async function basketCheckedOut(api: GatewayApi, userId: string, productId: string): Promise<OrderReply> {
  await waitFor(async () => (await api('PUT', `/api/baskets/${userId}/items/${productId}`, { quantity: 1 })).status === 200, {
    description: 'basket knows the user and the product',
  });
  const checkout = await api<{ orderId: string }>('POST', `/api/baskets/${userId}/checkout`);
  expect(checkout.status).toBe(202);
  return finalOrder<OrderReply>(api, checkout.body.orderId);
}

/** A lending request or return (`/api/lending/requests` or `/api/lending/returns`), once decided. */
export async function lendingDecided(api: GatewayApi, path: string, body: { userId: string; bookIds: string[] }): Promise<{ status: string; bookIds?: string[] }> {
  const requested = await api<{ requestId: string }>('POST', path, body);
  expect(requested.status).toBe(202);
  return waitFor(
    async () => {
      const current = await api<{ status: string; bookIds?: string[] }>('GET', `/api/lending/requests/${requested.body.requestId}`);
      return current.status === 200 && current.body.status !== 'PENDING' ? current.body : null;
    },
    { timeoutMs: 30_000, description: `lending ${path.split('/').pop() ?? ''} decided` },
  );
}
