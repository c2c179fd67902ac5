import type { FastifyRequest } from 'fastify';
import type { Session } from 'tributary/session';
import { Type, type Static } from 'tributary';
import { presentedKey } from './admin.ts';

/** What a customer's session holds: who signed in. */
export const SessionUser = Type.Object(
  { userId: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String(), email: Type.String() },
  { additionalProperties: false },
);
export type SessionUser = Static<typeof SessionUser>;

/**
 * Who is calling, for limits and idempotency scopes: the signed-in user
 * when there is a session, else the client address (behind a proxy, set
 * Fastify's trustProxy so this is the real client).
 */
export function clientOf(request: FastifyRequest): string {
  const session = request.session as Session<SessionUser> | null;
  return session ? `user:${session.data.userId}` : `ip:${request.ip}`;
}

/**
 * Idempotency keys are scoped per client and per route: two customers, or
 * one customer on two routes, may use the same key without colliding.
 */
export function idempotencyScope(request: FastifyRequest): string {
  return `${clientOf(request)}:${request.method} ${request.routeOptions.url ?? request.url}`;
}

/** Rate limits count per session (so a signed-in customer behind a shared NAT has their own), else per IP. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.session ? `session:${request.session.id}` : `ip:${request.ip}`;
}

/**
 * The rate limit's key with the operator exempt: a request carrying the
 * valid admin key (which may already do anything an admin route allows) is
 * not counted, so a load test run with the key measures the system rather
 * than the limit. A wrong key is counted like any client; with no admin key
 * configured nobody is exempt.
 */
export function rateLimitKeyExemptingAdmin(isAdminKey: (key: string) => boolean): (request: FastifyRequest) => string | null {
  return (request) => {
    const key = presentedKey(request);
    return key !== null && isAdminKey(key) ? null : rateLimitKey(request);
  };
}
