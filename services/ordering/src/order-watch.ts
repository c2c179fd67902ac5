import type { OrderStatus } from '@tributary/contracts';

/**
 * Who is waiting to hear that an order changed: GET /orders/:id?waitMs=
 * parks here instead of the client polling through two HTTP hops. The saga
 * handlers' commits ring the bell for the orders their events name, with the
 * status the commit left (so the waiter need not read it back). Only this
 * instance's commits ring it: a waiter also looks again every RECHECK_MS,
 * so a change committed by another instance is seen too.
 */
export interface OrderWatch {
  /** Wakes everyone waiting on this order (call after a commit that changed it), telling them its status when known. */
  changed(orderId: string, status?: OrderStatus): void;
  /**
   * Resolves when the order changed here, with its status when the commit
   * told it; null after `timeoutMs` or when it was not told (read it then).
   */
  next(orderId: string, timeoutMs: number): Promise<OrderStatus | null>;
}

export function createOrderWatch(): OrderWatch {
  const waiting = new Map<string, Set<(status: OrderStatus | null) => void>>();
  return {
    changed(orderId, status) {
      const wake = waiting.get(orderId);
      if (!wake) return;
      waiting.delete(orderId);
      for (const resolve of wake) resolve(status ?? null);
    },
    next(orderId, timeoutMs) {
      return new Promise<OrderStatus | null>((resolve) => {
        const done = (status: OrderStatus | null) => {
          clearTimeout(timer);
          const set = waiting.get(orderId);
          set?.delete(done);
          if (set?.size === 0) waiting.delete(orderId);
          resolve(status);
        };
        const timer = setTimeout(() => done(null), timeoutMs);
        const set = waiting.get(orderId) ?? new Set();
        set.add(done);
        waiting.set(orderId, set);
      });
    },
  };
}

/** How often a waiting request reads the order again, for changes made by other instances. */
export const RECHECK_MS = 1_000;

/** The longest a client may ask GET /orders/:id to wait. */
export const MAX_WAIT_MS = 20_000;
