import { followOrder, placeOrder, type OrderTraffic, type Tally } from './orders.ts';

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** After a refused order a client waits this long, so a failing system is not hammered in a tight loop. */
const AFTER_REFUSAL_MS = 100;

/** Hands out order numbers until the count is reached or the time is up, whichever comes first. */
export class Budget {
  private next = 0;
  private readonly endsAt: number;
  constructor(
    private readonly orders: number | null,
    durationMs: number | null,
    startedAt = performance.now(),
  ) {
    this.endsAt = durationMs === null ? Infinity : startedAt + durationMs;
  }
  take(): number | null {
    if (this.orders !== null && this.next >= this.orders) return null;
    if (performance.now() >= this.endsAt) return null;
    return this.next++;
  }
}

/**
 * Closed loop: `clients` customers, each placing one order, waiting until it
 * is final, then placing the next. The system sets the pace, so this finds
 * its saturation throughput. With `waitForFinal` false each customer places
 * its next order as soon as the last one is accepted (202) and every order is
 * followed on its own: the streams may queue, and the run ends when the last
 * order is final, so the figure is what the system completes per second with
 * a backlog in front of it rather than what 64 orders in flight allow.
 */
export async function closedLoop(traffic: OrderTraffic, tally: Tally, clients: number, budget: Budget, waitForFinal = true): Promise<void> {
  const following: Array<Promise<void>> = [];
  const client = async () => {
    for (let index = budget.take(); index !== null; index = budget.take()) {
      const placed = await placeOrder(traffic, tally, index);
      if (!placed) await pause(AFTER_REFUSAL_MS);
      else if (waitForFinal) await followOrder(traffic, tally, placed.orderId, placed.sentAt);
      else following.push(followOrder(traffic, tally, placed.orderId, placed.sentAt));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await Promise.all(following);
}

/**
 * Fixed rate (open loop): order i leaves at start + i / rate whatever the
 * system does, with at most `concurrency` POSTs in flight; each placed order
 * is followed on its own. Latency at a rate below saturation.
 */
export async function fixedRate(traffic: OrderTraffic, tally: Tally, perSecond: number, concurrency: number, budget: Budget): Promise<void> {
  const started = performance.now();
  const posting = new Set<Promise<void>>();
  const following: Array<Promise<void>> = [];
  for (let index = budget.take(); index !== null; index = budget.take()) {
    const wait = started + (index * 1000) / perSecond - performance.now();
    if (wait > 0) await pause(wait);
    while (posting.size >= concurrency) await Promise.race(posting);
    const post: Promise<void> = placeOrder(traffic, tally, index)
      .then((placed) => {
        if (placed) following.push(followOrder(traffic, tally, placed.orderId, placed.sentAt));
      })
      .finally(() => posting.delete(post));
    posting.add(post);
  }
  await Promise.all(posting);
  await Promise.all(following);
}
