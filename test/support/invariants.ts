import type { Envelope } from 'tributary';
import { waitFor } from 'tributary/testing';
import type { GatewayApi } from './system.ts';

/** Gateway answers a client retries with the same Idempotency-Key: a service or Redis restarting, or the first try still running. */
export function retryable(answer: { status: number; body: unknown }): boolean {
  if (answer.status === 502 || answer.status === 503 || answer.status === 504) return true;
  return answer.status === 409 && (answer.body as { error?: string } | null)?.error === 'IDEMPOTENCY_KEY_IN_PROGRESS';
}

/** A POST as a careful client makes it: retried with its key until the answer is not "try again" (90 s at most). */
export function submitRetrying<T>(api: GatewayApi, path: string, body: unknown, key: string): Promise<{ status: number; body: T }> {
  return waitFor(
    async () => {
      const answer = await api<T>('POST', path, body, { 'idempotency-key': key });
      return retryable(answer) ? null : answer;
    },
    { timeoutMs: 90_000, intervalMs: 100, description: `POST ${path} (${key}) answered` },
  );
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
