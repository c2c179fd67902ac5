import { expect } from 'vitest';
import type { Envelope } from 'tributary';
import { waitFor } from 'tributary/testing';
import type { AccountReply, GatewayApi, OrderReply } from './system.ts';

/** Gateway answers a client retries with the same Idempotency-Key: a service or Redis restarting, or the first try still running. */
export function retryable(answer: { status: number; body: unknown }): boolean {
  if (answer.status === 502 || answer.status === 503 || answer.status === 504) return true;
  return answer.status === 409 && (answer.body as { error?: string } | null)?.error === 'IDEMPOTENCY_KEY_IN_PROGRESS';
}

/** A POST as a careful client makes it: retried with its key until the answer is not "try again" (90 s at most unless told). */
export function submitRetrying<T>(api: GatewayApi, path: string, body: unknown, key: string, timeoutMs = 90_000): Promise<{ status: number; body: T }> {
  return waitFor(
    async () => {
      const answer = await api<T>('POST', path, body, { 'idempotency-key': key });
      return retryable(answer) ? null : answer;
    },
    { timeoutMs, intervalMs: 100, description: `POST ${path} (${key}) answered` },
  );
}

/** POSTs something that must be created (201) and answers its id. */
export async function createdId(api: GatewayApi, path: string, body: unknown): Promise<string> {
  const created = await api<{ id: string }>('POST', path, body);
  expect(created.status, `${path} ${JSON.stringify(created.body)}`).toBe(201);
  return created.body.id;
}

/** Distinct event ids per key: a redelivered handler republishes under the same id, a doubled effect gets a new one. */
export function eventIdsByKey(entries: Envelope[], keyOf: (event: Envelope) => string | null): Map<string, Set<string>> {
  const byKey = new Map<string, Set<string>>();
  for (const event of entries) {
    const key = keyOf(event);
    if (key === null) continue;
    const ids = byKey.get(key) ?? new Set<string>();
    ids.add(event.id);
    byKey.set(key, ids);
  }
  return byKey;
}

/** The key under which an order's (or a delivery's, or a mail's) event may appear once: see eventIdsByKey. */
export function orderEventKey(event: Envelope): string | null {
  const data = event.data as { orderId?: string; deliveryId?: string; status?: string; kind?: string };
  if (event.type === 'DeliveryStatusChanged') return `${event.type} ${data.deliveryId} ${data.status}`;
  if (event.type === 'MailSent') return data.orderId ? `${event.type} ${data.orderId} ${data.kind}` : null;
  return data.orderId ? `${event.type} ${data.orderId}` : null;
}

/**
 * A buyer's account once it has settled: `spent` spent and nothing left
 * reserved (60 s at most). The caller checks that the three sums add up to
 * what the buyer started with: money is conserved.
 */
export function settledAccount(api: GatewayApi, userId: string, spent: number): Promise<AccountReply> {
  return waitFor(
    async () => {
      const current = await api<AccountReply>('GET', `/api/users/${userId}/account`);
      return current.status === 200 && current.body.spentCents === spent && current.body.reservedCents === 0 ? current.body : null;
    },
    { timeoutMs: 60_000, description: `account of ${userId} settled at ${spent} spent` },
  );
}

/** What the completed orders of one buyer cost. */
export function spentBy(completed: readonly OrderReply[], userId: string): number {
  return completed.filter((order) => order.userId === userId).reduce((sum, order) => sum + order.totalCents, 0);
}
