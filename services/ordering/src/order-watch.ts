/**
 * Who is waiting to hear that an order changed: GET /orders/:id?waitMs=
 * parks here instead of the client polling through two HTTP hops. The saga
 * handlers' commits ring the bell for the orders their events name. Only
 * this instance's commits ring it: a waiter also looks again every
 * RECHECK_MS, so a change committed by another instance is seen too.
 */
export interface OrderWatch {
  /** Wakes everyone waiting on this order (call after a commit that changed it). */
  changed(orderId: string): void;
  /** Resolves when the order changed here, or after `timeoutMs`, whichever is first. */
  next(orderId: string, timeoutMs: number): Promise<void>;
}

export function createOrderWatch(): OrderWatch {
  const waiting = new Map<string, Set<() => void>>();
  return {
    changed(orderId) {
      const wake = waiting.get(orderId);
      if (!wake) return;
      waiting.delete(orderId);
      for (const resolve of wake) resolve();
    },
    next(orderId, timeoutMs) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          const set = waiting.get(orderId);
          set?.delete(done);
          if (set?.size === 0) waiting.delete(orderId);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
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
