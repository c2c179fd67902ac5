import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The business flow (an order id, say) the current work belongs to: set by
 * the consumer around each handler from the event's correlationId, read by
 * the logger so every line a handler logs can be found by order id.
 */
const current = new AsyncLocalStorage<string>();

export function withCorrelation<A extends unknown[], T>(correlationId: string, work: (...args: A) => T, ...args: A): T {
  return current.run(correlationId, work, ...args);
}

export function currentCorrelationId(): string | undefined {
  return current.getStore();
}
