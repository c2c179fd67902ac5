import type { FastifyReply, FastifyRequest, onResponseAsyncHookHandler, onSendHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { httpError, sendHttpError } from '../http/errors.ts';
import { fingerprintRequest } from './fingerprint.ts';
import { isIdempotencyKey, type IdempotencyStore } from './store.ts';

export interface IdempotencyHookOptions {
  store: IdempotencyStore;
  /**
   * Whose keys these are, e.g. the signed-in user or the client IP plus the
   * route: keys only collide within one scope.
   */
  scope: (request: FastifyRequest) => string;
  /** Default `idempotency-key`. */
  header?: string;
  /** Answer 400 IDEMPOTENCY_KEY_REQUIRED when the header is missing (default false: the route runs unprotected). */
  required?: boolean;
  /**
   * Which answers are recorded for replay. Default: everything below 500, so
   * a 503 (an upstream down, a timeout) is not, and a retry can succeed.
   */
  record?: (status: number) => boolean;
}

/** Route-level hooks; spread them into the options of each route to protect. */
export interface IdempotencyHooks {
  preHandler: preHandlerAsyncHookHandler;
  onSend: onSendHookHandler<unknown>;
  onResponse: onResponseAsyncHookHandler;
}

interface Holding {
  scope: string;
  key: string;
  token: string;
}

export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Idempotency keys for HTTP POSTs (after Stripe's and the IETF draft's
 * `Idempotency-Key`): the first answer to a key is recorded, a repeat gets
 * the same status and body (with `Idempotent-Replayed: true`), a duplicate
 * arriving while the first is running waits for it (409
 * IDEMPOTENCY_KEY_IN_PROGRESS at the deadline), and the same key on a
 * different request is 422 IDEMPOTENCY_KEY_REUSED. It runs in preHandler,
 * after validation: a request that fails validation never claims its key.
 */
export function idempotencyHooks(options: IdempotencyHookOptions): IdempotencyHooks {
  const { store } = options;
  const header = (options.header ?? 'idempotency-key').toLowerCase();
  const shouldRecord = options.record ?? ((status: number) => status < 500);
  const holdings = new WeakMap<FastifyRequest, Holding>();

  /** `body` null: nothing recordable was sent (a stream, a buffer, or no answer at all). */
  const finish = async (request: FastifyRequest, reply: FastifyReply, body: string | null) => {
    const holding = holdings.get(request);
    if (!holding) return;
    holdings.delete(request);
    const keep = body !== null && shouldRecord(reply.statusCode) && Buffer.byteLength(body) <= store.options.maxBodyBytes;
    try {
      if (keep) {
        const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
        const recorded = await store.complete(holding.scope, holding.key, holding.token, { status: reply.statusCode, contentType, body });
        if (!recorded) request.log.warn({ key: holding.key }, 'idempotency key was claimed again before this request finished');
      } else {
        await store.release(holding.scope, holding.key, holding.token);
      }
    } catch (error) {
      // The answer is already decided; the claim expires on its own.
      request.log.warn({ err: error, key: holding.key }, 'could not record the idempotent response');
    }
  };

  return {
    async preHandler(request, reply) {
      const raw = request.headers[header];
      if (raw === undefined) {
        if (options.required) return sendHttpError(reply, httpError('IDEMPOTENCY_KEY_REQUIRED', `this route needs an ${header} header`));
        return;
      }
      if (!isIdempotencyKey(raw)) {
        return sendHttpError(reply, httpError('INVALID_IDEMPOTENCY_KEY', `${header} must be 1-255 printable ASCII characters without spaces`));
      }
      const scope = options.scope(request);
      const fingerprint = fingerprintRequest({ method: request.method, url: request.url, body: request.body });
      let outcome;
      try {
        outcome = await store.acquire(scope, raw, fingerprint);
      } catch (error) {
        request.log.warn({ err: error }, 'idempotency store unavailable');
        return sendHttpError(reply, httpError('IDEMPOTENCY_STORE_UNAVAILABLE', 'idempotency keys are unavailable, try again'));
      }
      switch (outcome.kind) {
        case 'acquired':
          holdings.set(request, { scope, key: raw, token: outcome.token });
          return;
        case 'replay':
          return reply
            .code(outcome.response.status)
            .header('content-type', outcome.response.contentType)
            .header(REPLAYED_HEADER, 'true')
            .send(outcome.response.body);
        case 'mismatch':
          return sendHttpError(reply, httpError('IDEMPOTENCY_KEY_REUSED', `this ${header} was used for a different request`));
        case 'timeout':
          reply.header('retry-after', '1');
          return sendHttpError(reply, httpError('IDEMPOTENCY_KEY_IN_PROGRESS', `a request with this ${header} is still in progress, retry later`));
      }
    },
    async onSend(request, reply, payload) {
      await finish(request, reply, typeof payload === 'string' ? payload : payload === undefined || payload === null ? '' : null);
      return payload;
    },
    // onSend is skipped when the connection dies before an answer: give the key back then.
    async onResponse(request, reply) {
      await finish(request, reply, null);
    },
  };
}
