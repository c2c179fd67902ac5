import type { SendEvent } from 'tributary/http';
import type { onRequestAsyncHookHandler } from 'fastify';
import type { RedisClient } from 'tributary';
import type { IdempotencyHooks } from 'tributary/idempotency';
import type { RateLimiter } from 'tributary/ratelimit';
import type { SessionPlugin } from 'tributary/session';
import type { CustomerAccess } from '../access.ts';
import type { SessionUser } from '../clients.ts';
import type { LivePositions } from '../live-positions.ts';
import type { Upstreams } from '../upstream.ts';
import { ErrorReply } from './schemas.ts';
import { gatewayError } from '../errors.ts';

/** What every route plugin of the gateway is given. */
export interface RouteContext {
  upstreams: Upstreams;
  bus: RedisClient;
  sessions: SessionPlugin<SessionUser>;
  loginLimiter: RateLimiter;
  /** Spread into a POST route that creates something: honours Idempotency-Key. */
  idempotent: IdempotencyHooks;
  /** onRequest hook of admin routes. */
  requireAdmin: onRequestAsyncHookHandler;
  /** Guards a customer's data: their session or the operator's credentials. */
  access: CustomerAccess;
  /** Drone positions from the bus's pub/sub, for server-sent events. */
  positions: LivePositions;
}

/** Error answers a route documents, by status. Every /api route may answer 429 and 503. */
export function errors<const Codes extends readonly number[]>(...codes: Codes) {
  return Object.fromEntries([...codes, 429, 503].map((code) => [code, ErrorReply])) as Record<Codes[number] | 429 | 503, typeof ErrorReply>;
}

/** Admin routes also answer 401 (no key) and 403 (wrong key). */
export const adminErrors = { 401: ErrorReply, 403: ErrorReply } as const;

/** A customer's data also answers 401 (no session, no key) and 403 (someone else's). */
export const customerErrors = adminErrors;

/** A subscription that fails (the bus is down) answers 503 BUS_UNAVAILABLE: nothing was sent yet. */
export function unavailableAs503(subscribe: (send: SendEvent) => Promise<() => void>, message: string): (send: SendEvent) => Promise<() => void> {
  return async (send) => {
    try {
      return await subscribe(send);
    } catch {
      throw gatewayError('BUS_UNAVAILABLE', message);
    }
  };
}
