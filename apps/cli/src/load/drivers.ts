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
 * its saturation throughput.
 */
export async function closedLoop(traffic: OrderTraffic, tally: Tally, clients: number, budget: Budget): Promise<void> {
  const client = async () => {
    for (let index = budget.take(); index !== null; index = budget.take()) {
      const placed = await placeOrder(traffic, tally, index);
      if (placed) await followOrder(traffic, tally, placed.orderId, placed.sentAt);
      else await pause(AFTER_REFUSAL_MS);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
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
