import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { httpError } from './errors.ts';

/** The header a caller inside the system sends its internal key in. */
export const INTERNAL_KEY_HEADER = 'x-internal-key';
/** The environment variable the launcher gives every service its internal key in. */
export const INTERNAL_KEY_ENV = 'INTERNAL_API_KEY';

/** What a supervisor, a probe or a scraper may reach without the key: nothing in them is anyone's data. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Closes a service's own port to anyone on the machine without the key:
 * only the gateway and the services themselves (given it by the launcher)
 * call these routes. Digests of equal length are compared in constant time.
 */
export function requireInternalKey(app: FastifyInstance, key: string): void {
  const expected = digest(key);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route !== undefined && OPEN_ROUTES.has(route)) return;
    const presented = request.headers[INTERNAL_KEY_HEADER];
    if (typeof presented !== 'string' || presented === '') {
      throw httpError('INTERNAL_KEY_REQUIRED', `this is a service's internal port: send ${INTERNAL_KEY_HEADER} (the public API is the gateway)`);
    }
    if (!timingSafeEqual(digest(presented), expected)) throw httpError('INTERNAL_KEY_INVALID', 'the internal key is not valid');
  });
}

/** The header for a call to another service: the key this process was given, if any. */
export function internalKeyHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const key = env[INTERNAL_KEY_ENV];
  return key ? { [INTERNAL_KEY_HEADER]: key } : {};
}
