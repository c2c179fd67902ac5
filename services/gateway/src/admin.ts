import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from 'tributary/http';

/** The OpenAPI security requirement of admin routes: either header works. */
export const ADMIN_SECURITY: Array<Record<string, string[]>> = [{ adminKey: [] }, { adminBearer: [] }];

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return bearer?.[1] ?? null;
}

/**
 * An onRequest hook for admin routes. With no key configured (the local
 * default) it lets everything through. Digests of equal length are compared
 * in constant time, so neither the key's content nor its length leaks through
 * response timing.
 */
export function adminGuard(adminApiKey: string | null) {
  const expected = adminApiKey === null ? null : createHash('sha256').update(adminApiKey).digest();
  return async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (expected === null) return;
    const key = presentedKey(request);
    if (key === null) {
      reply.header('www-authenticate', 'Bearer realm="tributary-admin"');
      throw new HttpError(401, 'ADMIN_KEY_REQUIRED', 'this is an admin operation: send x-api-key or Authorization: Bearer');
    }
    if (!timingSafeEqual(createHash('sha256').update(key).digest(), expected)) {
      throw new HttpError(403, 'ADMIN_KEY_INVALID', 'the admin key is not valid');
    }
  };
}
