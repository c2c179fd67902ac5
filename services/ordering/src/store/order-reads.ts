import DataLoader from 'dataloader';
import type { OrderStatus } from '@tributary/contracts';
import type { SqlExecutor } from 'tributary/sql';
import { findOrdersWithHistory, findOrderStatuses, type OrderWithHistory } from './orders-store.ts';

/** The reads of GET /orders/:id, each answered from a statement it may share with other requests. */
export interface OrderReads {
  status(orderId: string): Promise<OrderStatus | null>;
  withHistory(orderId: string): Promise<OrderWithHistory | null>;
}

/** The most orders one read statement asks for. */
const MOST_PER_STATEMENT = 500;

/**
 * The long-poll's reads, together. Under load dozens of GET /orders/:id?waitMs=
 * run at once: each reads its order's status when it arrives and the whole
 * order when it ends, and one commit that finishes ten orders wakes ten
 * waiters in the same tick. One statement per read was two of the five
 * statements ordering sent per order (docs/benchmarks.md). Reads asked for
 * in one tick go in one statement (`WHERE id = ANY($1)`), and reads asked
 * for while that statement runs wait for it and go in the next. A lone read
 * is not held back.
 *
 * DataLoader does the gathering (no cache: a status must be read fresh);
 * its `batchScheduleFn` holds a new batch while the previous one runs.
 */
export function createOrderReads(db: SqlExecutor): OrderReads {
  const statuses = readTogether((ids) => findOrderStatuses(db, ids));
  const orders = readTogether((ids) => findOrdersWithHistory(db, ids));
  return {
    status: (orderId) => statuses.load(orderId),
    withHistory: (orderId) => orders.load(orderId),
  };
}

function readTogether<V>(read: (ids: readonly string[]) => Promise<Map<string, V>>): DataLoader<string, V | null> {
  let running = false;
  let held: Array<() => void> = [];
  const load = async (ids: readonly string[]): Promise<Array<V | null>> => {
    running = true;
    try {
      const found = await read(ids);
      return ids.map((id) => found.get(id) ?? null);
    } finally {
      running = false;
      const release = held;
      held = [];
      for (const dispatch of release) dispatch();
    }
  };
  return new DataLoader<string, V | null>(load, {
    cache: false,
    maxBatchSize: MOST_PER_STATEMENT,
    // DataLoader's own schedule (after the current tick's promise jobs) when idle; after the running statement otherwise.
    batchScheduleFn: (dispatch) => {
      if (running) held.push(dispatch);
      else void Promise.resolve().then(() => process.nextTick(dispatch));
    },
  });
}
