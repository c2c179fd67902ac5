import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { httpError, sendHttpError } from '../http/errors.ts';
import type { RateLimiter, RateLimitResult } from './limiter.ts';

export interface RateLimitHookOptions {
  limiter: RateLimiter;
  /**
   * Which client a request counts against; null lets it through unlimited.
   * Default: the session id when a session plugin set `request.session`,
   * otherwise the client IP (mind Fastify's `trustProxy` behind a proxy).
   */
  key?: (request: FastifyRequest) => string | null | Promise<string | null>;
  /** Units a request takes (default 1). */
  cost?: (request: FastifyRequest) => number;
  /**
   * When Redis cannot be reached: true (default) lets requests through and
   * reports the error, since a limiter outage should not become an API
   * outage; false answers 503.
   */
  failOpen?: boolean;
  onError?: (error: unknown, request: FastifyRequest) => void;
  message?: string;
}

export function defaultRateLimitKey(request: FastifyRequest): string {
  const session = (request as { session?: { id?: unknown } | null }).session;
  if (session && typeof session.id === 'string') return `session:${session.id}`;
  return `ip:${request.ip}`;
}

/**
 * The headers of draft-ietf-httpapi-ratelimit-headers (RateLimit-Limit,
 * -Remaining, -Reset in seconds, -Policy), plus Retry-After on a refusal.
 * Seconds are rounded up: a client that waits the advertised time must pass.
 */
export function setRateLimitHeaders(reply: FastifyReply, limiter: RateLimiter, result: RateLimitResult): void {
  reply.header('ratelimit-limit', String(result.limit));
  reply.header('ratelimit-remaining', String(result.remaining));
  reply.header('ratelimit-reset', String(Math.ceil(result.resetMs / 1000)));
  reply.header('ratelimit-policy', `${limiter.limit};w=${limiter.windowSeconds}`);
  if (!result.allowed) reply.header('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
}

/**
 * An onRequest hook: takes from the limiter before the body is even read and
 * answers 429 `{error: 'RATE_LIMITED', message}` with Retry-After when the
 * client is over its limit. Add it to the encapsulated context of the routes
 * it guards (`app.addHook('onRequest', rateLimitHook({...}))`).
 */
export function rateLimitHook(options: RateLimitHookOptions): onRequestHookHandler {
  const { limiter } = options;
  const keyOf = options.key ?? defaultRateLimitKey;
  const failOpen = options.failOpen ?? true;
  return async function rateLimited(request, reply) {
    const key = await keyOf(request);
    if (key === null) return;
    let result: RateLimitResult;
    try {
      result = await limiter.take(key, options.cost?.(request) ?? 1);
    } catch (error) {
      if (options.onError) options.onError(error, request);
      else request.log.warn({ err: error }, 'rate limiter unavailable');
      if (failOpen) return;
      return sendHttpError(reply, httpError('RATE_LIMITER_UNAVAILABLE', 'rate limiter unavailable, try again'));
    }
    setRateLimitHeaders(reply, limiter, result);
    if (result.allowed) return;
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return sendHttpError(reply, httpError('RATE_LIMITED', options.message ?? `too many requests, retry in ${seconds} s`));
  };
}
