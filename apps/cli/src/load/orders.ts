import { TERMINAL_STATUSES } from '@tributary/contracts';
import { callGateway, Unreachable, type ApiAnswer } from '../gateway.ts';
import { Counts } from './stats.ts';

interface Order {
  id: string;
  status: string;
  createdAt: string;
  history: Array<{ status: string; at: string }>;
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** After a look that came back without the outcome, the next comes this soon; each next one waits 1.5 times longer, up to the poll cap. */
const FIRST_POLL_MS = 25;
/** How long one look asks the gateway to hold the request for the order to become final. */
const LONG_POLL_MS = 10_000;

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface OrderTraffic {
  base: string;
  /** Sent as x-api-key on every request: the gateway does not rate-limit its holder. */
  apiKey: string | null;
  run: string;
  userIds: readonly string[];
  productIds: readonly string[];
  /** How long an order may take from its POST to a final status. */
  timeoutMs: number;
  /** The longest wait between two looks at one order. */
  pollMaxMs: number;
}

/**
 * What a load run saw: every answer that was not a success by its status
 * (`network` for no answer), and the latencies. Saga latency is measured on
 * ordering's clock (the order's createdAt to its final history entry), so it
 * does not include how late the client looked; `seen` is the client's own
 * POST → first GET that showed a final status.
 */
export class Tally {
  attempted = 0;
  accepted = 0;
  throttled = 0;
  readonly errors = new Counts();
  readonly finalByStatus = new Counts();
  readonly notFinal: string[] = [];
  readonly postMs: number[] = [];
  readonly sagaMs: number[] = [];
  readonly seenMs: number[] = [];
  /** performance.now() of the last final status seen. */
  lastFinalAt = 0;
}

/** Places one single-item order; its id and when it was sent, or null when it was refused (counted). */
export async function placeOrder(traffic: OrderTraffic, tally: Tally, index: number): Promise<{ orderId: string; sentAt: number } | null> {
  tally.attempted += 1;
  const body = {
    userId: traffic.userIds[index % traffic.userIds.length],
    items: [{ productId: traffic.productIds[index % traffic.productIds.length], quantity: 1 }],
  };
  const firstSent = performance.now();
  const deadline = firstSent + traffic.timeoutMs;
  let sent = firstSent;
  const answer = await withRetry(
    tally,
    () => {
      sent = performance.now();
      return callGateway<{ orderId: string; status: string }>(traffic.base, 'POST', '/api/orders', {
        body,
        apiKey: traffic.apiKey,
        headers: { 'idempotency-key': `load-${traffic.run}-${index}` },
      });
    },
    deadline,
  );
  if (answer === null) return null;
  if (answer.status !== 202) {
    tally.errors.add(String(answer.status));
    return null;
  }
  tally.accepted += 1;
  tally.postMs.push(performance.now() - sent);
  return { orderId: answer.body.orderId, sentAt: firstSent };
}

/**
 * Follows a placed order until it is final or out of time. Each look is a
 * long-poll (`?waitMs=`: the gateway answers when the order is final, or
 * after LONG_POLL_MS), as a client that wants the outcome would ask; between
 * looks that came back early without it (an error, a gateway without
 * long-poll), the pause grows 1.5 times, up to the poll cap.
 */
export async function followOrder(traffic: OrderTraffic, tally: Tally, orderId: string, sentAt: number): Promise<void> {
  const deadline = sentAt + traffic.timeoutMs;
  let wait = FIRST_POLL_MS;
  for (let look = 0; ; look++) {
    if (look > 0) {
      await pause(Math.max(0, Math.min(wait, deadline - performance.now())));
      wait = Math.min(wait * 1.5, traffic.pollMaxMs);
    }
    const waitMs = Math.max(0, Math.min(LONG_POLL_MS, Math.floor(deadline - performance.now())));
    const answer = await noAnswerCounted(tally, () =>
      callGateway<Order>(traffic.base, 'GET', `/api/orders/${encodeURIComponent(orderId)}?waitMs=${waitMs}`, { apiKey: traffic.apiKey, timeoutMs: waitMs + 15_000 }),
    );
    if (answer?.status === 200 && TERMINAL.has(answer.body.status)) {
      const now = performance.now();
      tally.seenMs.push(now - sentAt);
      tally.lastFinalAt = now;
      tally.finalByStatus.add(answer.body.status);
      const final = [...answer.body.history].reverse().find((step) => step.status === answer.body.status);
      const saga = final ? Date.parse(final.at) - Date.parse(answer.body.createdAt) : NaN;
      if (Number.isFinite(saga)) tally.sagaMs.push(Math.max(0, saga));
      return;
    }
    if (answer?.status === 429) tally.throttled += 1;
    else if (answer && answer.status !== 200) tally.errors.add(String(answer.status));
    if (performance.now() >= deadline) {
      tally.notFinal.push(orderId);
      return;
    }
  }
}

/** The answer, or null after counting `network` when the gateway did not answer. */
async function noAnswerCounted<T>(tally: Tally, call: () => Promise<ApiAnswer<T>>): Promise<ApiAnswer<T> | null> {
  try {
    return await call();
  } catch (failure) {
    if (!(failure instanceof Unreachable)) throw failure;
    tally.errors.add('network');
    return null;
  }
}

/** Retries a 429 after its Retry-After while there is time; any other answer is returned. */
async function withRetry<T>(tally: Tally, call: () => Promise<ApiAnswer<T>>, deadline: number): Promise<ApiAnswer<T> | null> {
  for (;;) {
    const answer = await noAnswerCounted(tally, call);
    if (answer === null || answer.status !== 429 || performance.now() > deadline) return answer;
    tally.throttled += 1;
    const after = Number(answer.headers.get('retry-after'));
    await pause(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 5_000) : 200);
  }
}
