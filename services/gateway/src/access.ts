import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { IdempotencyHooks } from 'tributary/idempotency';
import type { HttpError } from 'tributary/http';
import type { SessionPlugin } from 'tributary/session';
import { ADMIN_SECURITY, adminCheck, type AdminTokens } from './admin.ts';
import type { SessionUser } from './clients.ts';
import { gatewayError } from './errors.ts';

/** The OpenAPI security requirement of a customer's data: their session, or the operator's credentials. */
export const CUSTOMER_SECURITY: Array<Record<string, string[]>> = [{ session: [] }, ...ADMIN_SECURITY];

/**
 * Who may touch one customer's data: that customer (their session) or the
 * operator (admin key or operator sign-in). One guard for every such route,
 * so the rule lives in one place.
 */
export interface CustomerAccess {
  /**
   * Throws unless the caller is the operator or signed in as `userId`:
   * 401 without credentials, 403 for someone else's data. An `undefined`
   * owner (data no one customer owns) is the operator's alone. A function
   * finds the owner only when the caller is a customer (it may cost a call).
   */
  requireCustomer(request: FastifyRequest, reply: FastifyReply, userId: string | undefined | (() => Promise<string | undefined>)): Promise<void>;
  /**
   * The first half of requireCustomer for data whose owner is only known
   * once it is read (an order, a delivery): 401 before any work is done for
   * an anonymous caller.
   */
  requireSignedIn(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Route options for a route whose owner is in the (validated) request:
   * the check runs as its preHandler, before an Idempotency-Key replay,
   * so a recorded answer is never handed to someone else.
   */
  ownedBy(owner: (request: FastifyRequest) => string | undefined, idempotent?: IdempotencyHooks): OwnedRoute;
}

/** Route options of an owned route: the owner check first among its preHandlers. */
export type OwnedRoute = Omit<Partial<IdempotencyHooks>, 'preHandler'> & { preHandler: preHandlerAsyncHookHandler[] };

/** Where a route names its owner, read after validation. */
export const owner = {
  param: (name: string) => (request: FastifyRequest) => (request.params as Record<string, string | undefined>)[name],
  body: (name: string) => (request: FastifyRequest) => {
    const value = (request.body as Record<string, unknown> | null)?.[name];
    return typeof value === 'string' ? value : undefined;
  },
  query: (name: string) => (request: FastifyRequest) => {
    const value = (request.query as Record<string, unknown> | null)?.[name];
    return typeof value === 'string' ? value : undefined;
  },
};

/** The `userId` of a service's answer (an order, a lending request), or undefined when it names none. */
export function ownerOf(body: unknown): string | undefined {
  const userId = body !== null && typeof body === 'object' ? (body as { userId?: unknown }).userId : undefined;
  return typeof userId === 'string' ? userId : undefined;
}

/** `adminApiKey` null is open mode (TRIBUTARY_AUTH=open): everyone may do everything, as before keys existed. */
export function customerAccess(adminApiKey: string | null, tokens: AdminTokens, sessions: SessionPlugin<SessionUser>): CustomerAccess {
  const ownedBy = (check: CustomerAccess['requireCustomer']): CustomerAccess['ownedBy'] => (ownerOf, idempotent) => {
    const hook: preHandlerAsyncHookHandler = (request, reply) => check(request, reply, ownerOf(request));
    return idempotent ? { ...idempotent, preHandler: [hook, idempotent.preHandler] } : { preHandler: [hook] };
  };
  if (adminApiKey === null) {
    const open = async () => undefined;
    return { requireCustomer: open, requireSignedIn: open, ownedBy: ownedBy(open) };
  }
  const isAdmin = adminCheck(adminApiKey, tokens);
  const unauthenticated = (reply: FastifyReply, operatorsOnly: boolean): HttpError => {
    reply.header('www-authenticate', 'Bearer realm="tributary-admin"');
    return operatorsOnly
      ? gatewayError('ADMIN_KEY_REQUIRED', "this is every customer's data: send the admin key (x-api-key or Authorization: Bearer)")
      : gatewayError('SIGN_IN_REQUIRED', "this is a customer's data: sign in as that customer (POST /api/sessions) or send the admin key");
  };
  const requireCustomer: CustomerAccess['requireCustomer'] = async (request, reply, userId) => {
    if (await isAdmin(request)) return;
    const session = sessions.current(request);
    if (session === null) throw unauthenticated(reply, userId === undefined);
    const ownerId = typeof userId === 'function' ? await userId() : userId;
    if (ownerId === undefined) throw gatewayError('ADMIN_ONLY', "every customer's data: only the operator (admin key) may see it");
    if (session.data.userId !== ownerId) throw gatewayError('NOT_YOUR_DATA', "another customer's data: a session opens only its own user's data");
  };
  return {
    requireCustomer,
    async requireSignedIn(request, reply) {
      if (sessions.current(request) === null && !(await isAdmin(request))) throw unauthenticated(reply, false);
    },
    ownedBy: ownedBy(requireCustomer),
  };
}
