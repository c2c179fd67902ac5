import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from 'tributary';
import { gatewayError } from './errors.ts';

/** The OpenAPI security requirement of admin routes: any one of these works. */
export const ADMIN_SECURITY: Array<Record<string, string[]>> = [{ adminKey: [] }, { adminBearer: [] }, { adminCookie: [] }];

/** The dashboard's sign-in cookie (EventSource cannot send headers, a cookie travels with it). */
export const ADMIN_COOKIE = 'tributary_admin';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The admin key a request presents (x-api-key, else a Bearer token), or null. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return bearer?.[1] ?? null;
}

/**
 * Operator sign-ins: a random token per sign-in, kept in the store Redis
 * only as its digest, with a TTL. The token itself lives in an httpOnly
 * cookie, never in the page's JavaScript. Each record names the admin key
 * it was made with (by a digest), so a new key ends every sign-in at once.
 */
export interface AdminTokens {
  issue(): Promise<string>;
  valid(token: string): Promise<boolean>;
  revoke(token: string): Promise<void>;
}

export function adminTokens(redis: RedisClient, prefix: string, ttlSeconds: number, adminApiKey: string | null): AdminTokens {
  const key = (token: string) => `${prefix}:${digest(token).toString('hex')}`;
  const madeWith = digest(`admin-token:${adminApiKey ?? ''}`).toString('hex');
  return {
    async issue() {
      const token = randomBytes(32).toString('base64url');
      await redis.sendCommand(['SET', key(token), madeWith, 'EX', String(ttlSeconds)]);
      return token;
    },
    async valid(token) {
      return (await redis.sendCommand<string | null>(['GET', key(token)])) === madeWith;
    },
    async revoke(token) {
      await redis.sendCommand(['DEL', key(token)]);
    },
  };
}

/** True when `key` is the configured admin key; digests of equal length are compared in constant time. */
export function adminKeyMatcher(adminApiKey: string | null): (key: string) => boolean {
  const expected = adminApiKey === null ? null : digest(adminApiKey);
  return (key) => expected !== null && timingSafeEqual(digest(key), expected);
}

/**
 * Whether a request is the operator's: the admin key (x-api-key or Bearer)
 * or the cookie of a sign-in made with it. A wrong key is 403 at once,
 * whatever cookie comes with it: a caller who sends a key means to use it.
 */
export function adminCheck(adminApiKey: string, tokens: AdminTokens): (request: FastifyRequest) => Promise<boolean> {
  const matches = adminKeyMatcher(adminApiKey);
  return async (request) => {
    const key = presentedKey(request);
    if (key !== null) {
      if (matches(key)) return true;
      throw gatewayError('ADMIN_KEY_INVALID', 'the admin key is not valid');
    }
    const token = request.cookies?.[ADMIN_COOKIE];
    return Boolean(token && (await tokens.valid(token)));
  };
}

/**
 * An onRequest hook for admin and operator routes. In open mode (no key,
 * TRIBUTARY_AUTH=open) it lets everything through; otherwise only the
 * operator passes (see adminCheck).
 */
export function adminGuard(adminApiKey: string | null, tokens: AdminTokens) {
  const isAdmin = adminApiKey === null ? null : adminCheck(adminApiKey, tokens);
  return async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (isAdmin === null || (await isAdmin(request))) return;
    reply.header('www-authenticate', 'Bearer realm="tributary-admin"');
    throw gatewayError('ADMIN_KEY_REQUIRED', 'this is an admin view or operation: send x-api-key or Authorization: Bearer, or sign in (POST /api/admin/session)');
  };
}
