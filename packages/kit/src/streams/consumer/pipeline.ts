import type { Envelope } from '../envelope.ts';

/**
 * The shape every consumer step shares, after Watermill's router: a handler
 * function takes a delivery and says what became of it, and a middleware
 * wraps a handler function in another one, `(next) => (delivery) => …`.
 * The router composes the chain once per route; nothing is composed per
 * event.
 */

export interface HandlerContext {
  stream: string;
  group: string;
  consumer: string;
  entryId: string;
  /** 1 on first delivery; counted by Redis, so it survives a crash. */
  deliveryCount: number;
  /** Aborted when the consumer is closing and its deadline has passed. */
  signal: AbortSignal;
}

/**
 * One decoded, schema-valid stream entry on its way to a handler. It is
 * also the handler's context (one object per event, not two).
 */
export interface Delivery extends HandlerContext {
  /** The entry's flat name/value list as Redis returned it (dead letters keep the original fields). */
  readonly fields: readonly string[];
  readonly event: Envelope<unknown>;
}

/**
 * What became of a delivery. `undefined` (a handler that simply resolved):
 * handled, the router acks it. `retry`: it stays pending on this consumer
 * until its backoff is over. `dead-lettered`: moved and acked in one MULTI
 * already.
 */
export type Outcome = undefined | 'retry' | 'dead-lettered';

export type HandlerFunc = (delivery: Delivery) => Promise<Outcome | void>;
export type Middleware = (next: HandlerFunc) => HandlerFunc;

/**
 * A batch of deliveries handled in one call. Per delivery, in order: an
 * outcome, or the error it failed with until a middleware settles it
 * (retry, dead letter). `void`: all handled. A throw: all failed with it.
 */
export type BatchResult = Array<Outcome | Error> | void;
export type BatchHandlerFunc = (deliveries: Delivery[]) => Promise<BatchResult>;
export type BatchMiddleware = (next: BatchHandlerFunc) => BatchHandlerFunc;

/** `compose([a, b, c])(handler)` is `a(b(c(handler)))`: the first middleware is the outermost. */
export function compose<F>(middlewares: ReadonlyArray<(next: F) => F>, handler: F): F {
  return middlewares.reduceRight((next, middleware) => middleware(next), handler);
}

/** A thrown value as an Error (handlers may throw anything). */
export function asError(caught: unknown): Error {
  return caught instanceof Error ? caught : new Error(String(caught));
}

/**
 * What the rest of a batch chain says per delivery; a batch that threw
 * failed as a whole (we cannot tell which event broke it): the same error
 * for each.
 */
export async function settleBatch(next: BatchHandlerFunc, deliveries: Delivery[]): Promise<BatchResult> {
  try {
    return await next(deliveries);
  } catch (caught) {
    return new Array<Error>(deliveries.length).fill(asError(caught));
  }
}
