import { randomUUID } from 'node:crypto';
import { OrderPlaced } from '@tributary/contracts';
import { childTraceparent, type Envelope } from 'tributary';
import { HttpError } from 'tributary/http';
import { activeTraceparent } from 'tributary/telemetry';
import type { OrderSnapshot } from '../domain/order-machine.ts';
import { duplicateProduct, planOrder, priceRequest, requestHash, type NewOrder, type OrderRequest } from '../domain/place-order.ts';
import type { OwnerLookups } from '../owner-lookups.ts';
import { knownCustomers } from '../store/known-customers.ts';
import { claimIdempotencyKeys, findKeyOwners, insertNewOrders } from '../store/orders-store.ts';
import { findProductPrices } from '../store/products-store.ts';
import type { OrderingContext } from './context.ts';
import { placeOrder, type PlacedOrder } from './place-order.ts';
import { priceOrder } from './price-order.ts';
import { orderingError } from '../errors.ts';

/** One POST /orders. */
export interface PlacementRequest {
  body: OrderRequest;
  idempotencyKey?: string | undefined;
  /** The caller's W3C trace context, when the request had one. */
  traceparent?: string | undefined;
}

export interface OrderPlacer {
  place(request: PlacementRequest): Promise<PlacedOrder>;
}

interface Waiting {
  request: PlacementRequest;
  /** The trace the order's events continue, taken in the request's own context. */
  traceparent: string | undefined;
  resolve(placed: PlacedOrder): void;
  reject(error: unknown): void;
}

/** The most requests one transaction places. */
const MOST_PER_TRANSACTION = 200;

/**
 * POST /orders placed together: requests that arrive while a transaction is
 * writing wait for the next one, and that one places all of them with a
 * fixed number of statements (two reads for customers and prices, then
 * keys, orders, timeline rows and outbox rows, one statement each), instead
 * of ten round trips per order. A lone request is not held back: it goes at
 * the next turn of the event loop. What each client gets is what placing
 * it alone would give: a key held by another request (earlier, or earlier in
 * the batch) replays that order or is 422; a request the set-based path
 * cannot decide (a user or product ordering has not heard of, a duplicate
 * line) or a batch that failed before writing anything is placed alone
 * through placeOrder, where its own answer comes from.
 */
export function createOrderPlacer(ctx: OrderingContext, owners: OwnerLookups | null): OrderPlacer {
  let queue: Waiting[] = [];
  let running = false;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MOST_PER_TRANSACTION);
      queue = queue.slice(batch.length);
      try {
        await placeTogether(ctx, owners, batch);
      } catch (error) {
        // placeTogether answers every request itself; this only keeps the queue alive if it ever did not.
        for (const waiting of batch) waiting.reject(error);
      }
    }
    running = false;
  }

  return {
    place(request) {
      return new Promise<PlacedOrder>((resolve, reject) => {
        const traceparent = activeTraceparent() ?? (request.traceparent ? childTraceparent(request.traceparent) : undefined);
        queue.push({ request, traceparent, resolve, reject });
        if (running) return;
        running = true;
        setImmediate(() => void drain());
      });
    },
  };
}

interface Prepared {
  waiting: Waiting;
  order: OrderSnapshot;
  placed: Envelope;
  hash: string;
}

async function placeTogether(ctx: OrderingContext, owners: OwnerLookups | null, batch: Waiting[]): Promise<void> {
  let alone: Waiting[] = [];
  const prepared: Prepared[] = [];
  const refused = new Set<Waiting>();
  try {
    const userIds = [...new Set(batch.map((waiting) => waiting.request.body.userId))];
    const productIds = [...new Set(batch.flatMap((waiting) => waiting.request.body.items.map((item) => item.productId)))];
    const [known, prices] = await Promise.all([knownCustomers(ctx.db, userIds), findProductPrices(ctx.db, productIds)]);
    for (const waiting of batch) {
      const { body } = waiting.request;
      const priced = priceRequest(body, prices);
      // Anything but a plain known order (duplicates, strangers, unknown products) gets its exact answer alone.
      if (!known.has(body.userId) || !priced.ok || duplicateProduct(body.items) !== null) {
        alone.push(waiting);
        continue;
      }
      try {
        prepared.push(prepare(ctx, waiting, priced.order));
      } catch (error) {
        refused.add(waiting);
        waiting.reject(error);
      }
    }
    if (prepared.length > 0) await writeTogether(ctx, prepared);
  } catch (error) {
    if (error instanceof OutcomeUnknown) {
      // The statements ran; COMMIT may have been applied. Placing these again
      // could place an order twice: each client gets the error, as one
      // placed alone would, and retries with its Idempotency-Key.
      for (const entry of prepared) entry.waiting.reject(error.cause);
    } else {
      // Nothing written (the reads failed, or the transaction rolled back): every request not yet
      // answered is placed alone, so one bad request does not fail its neighbours.
      ctx.logger.warn({ err: error, orders: batch.length }, 'placing orders together failed; placing each alone');
      alone = batch.filter((waiting) => !refused.has(waiting));
    }
  }
  for (const waiting of alone) {
    try {
      const order = await priceOrder(ctx, owners, waiting.request.body);
      waiting.resolve(await placeOrder(ctx, order, { idempotencyKey: waiting.request.idempotencyKey, traceparent: waiting.request.traceparent }));
    } catch (error) {
      waiting.reject(error);
    }
  }
}

/** What placeOrder checks before its transaction: the plan and the event (an invalid one is a bad request). */
function prepare(ctx: OrderingContext, waiting: Waiting, input: NewOrder): Prepared {
  const plan = planOrder(input);
  if (!plan.ok) throw orderingError(plan.code, plan.message);
  const order: OrderSnapshot = {
    id: randomUUID(),
    userId: input.userId,
    status: 'AWAITING_PAYMENT',
    items: input.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    totalCents: plan.totalCents,
    failureReason: null,
  };
  const placed = ctx.publisher.envelope(
    OrderPlaced,
    { orderId: order.id, userId: order.userId, items: order.items, totalCents: order.totalCents },
    { correlationId: order.id, ...(waiting.traceparent ? { traceparent: waiting.traceparent } : {}) },
  );
  const hash = requestHash({ userId: input.userId, items: order.items.map(({ productId, quantity }) => ({ productId, quantity })) });
  return { waiting, order, placed, hash };
}

/**
 * One transaction for the batch. Keys are claimed first: a request whose key
 * another request holds (earlier, or earlier in this batch) writes nothing
 * and is answered with that order, or 422 when its body differs.
 */
async function writeTogether(ctx: OrderingContext, batch: Prepared[]): Promise<void> {
  let statementsDone = false;
  const answers = await ctx.outbox.transaction(async (tx, emit) => {
    const keyed = batch.filter((entry) => entry.waiting.request.idempotencyKey !== undefined);
    const claimed = await claimIdempotencyKeys(
      tx,
      keyed.map((entry) => ({ key: entry.waiting.request.idempotencyKey as string, requestHash: entry.hash, orderId: entry.order.id })),
    );
    const creating = batch.filter((entry) => entry.waiting.request.idempotencyKey === undefined || claimed.has(entry.order.id));
    await insertNewOrders(tx, creating.map((entry) => entry.order));
    emit(creating.map((entry) => entry.placed));
    const replayed = keyed.filter((entry) => !claimed.has(entry.order.id));
    const owners = await findKeyOwners(tx, replayed.map((entry) => entry.waiting.request.idempotencyKey as string));
    const created = new Set(creating);
    const answered = batch.map((entry): PlacedOrder | HttpError => {
      if (created.has(entry)) return { orderId: entry.order.id, status: entry.order.status, created: true };
      const owner = owners.get(entry.waiting.request.idempotencyKey as string);
      if (!owner) throw new Error('an idempotency key vanished while claiming it');
      if (owner.requestHash !== entry.hash) return orderingError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
      return { orderId: owner.orderId, status: owner.status, created: false };
    });
    statementsDone = true;
    return answered;
  }).catch((error: unknown) => {
    throw statementsDone ? new OutcomeUnknown(error) : error;
  });
  answers.forEach((answer, index) => {
    const { waiting } = batch[index] as Prepared;
    if (answer instanceof HttpError) waiting.reject(answer);
    else waiting.resolve(answer);
  });
}

/** The transaction failed after its statements ran: at COMMIT, or publishing its outbox rows. */
class OutcomeUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super('placing orders together failed at commit', { cause });
  }
}
