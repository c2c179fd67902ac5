import type { FastifyRequest } from 'fastify';
import { ADMIN_COOKIE } from './admin.ts';
import { gatewayError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host[:port] of an Origin or Referer header value, or null when it has none ("null", garbage). */
function hostOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : null;
  } catch {
    return null;
  }
}

/**
 * Cross-site request forgery: a page of another origin can make the browser
 * send a write with the customer's `sid` or the operator's sign-in cookie.
 * A write that carries one of those cookies must therefore come from the
 * gateway's own host (the Host it was sent to) when the browser says where
 * it comes from (Origin, else Referer); a foreign or opaque ("null") origin
 * is 403 before any handler runs. The scheme is not compared: behind a
 * proxy that ends TLS the gateway itself sees plain HTTP. A request with neither header is not a
 * browser's cross-site request (browsers send Origin on every cross-origin
 * POST, PUT, PATCH and DELETE) and passes: scripts and the CLI send none.
 * Requests without those cookies carry no ambient authority and are not
 * checked. The cookies are SameSite as well; this holds where that does not
 * (a sibling subdomain, an old browser).
 */
export function csrfGuard(sessionCookie: string) {
  return async function refuseCrossSiteWrites(request: FastifyRequest): Promise<void> {
    if (SAFE_METHODS.has(request.method)) return;
    const cookies = request.cookies ?? {};
    if (cookies[sessionCookie] === undefined && cookies[ADMIN_COOKIE] === undefined) return;
    const origin = request.headers.origin;
    const referer = request.headers.referer;
    const claimed = typeof origin === 'string' ? origin : typeof referer === 'string' ? referer : null;
    if (claimed === null) return;
    const host = request.headers.host;
    if (host === undefined || hostOf(claimed) !== host.toLowerCase()) {
      throw gatewayError('CROSS_SITE_REQUEST', 'a write with a session cookie must come from the gateway\'s own origin');
    }
  };
}
