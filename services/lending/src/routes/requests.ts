import { Type, type Publisher, type RedisClient } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id, LendingRequested, LENDING_REJECTIONS, ReturnRequested } from '@tributary/contracts';
import type { LendingStore } from '../store/lending.ts';
import { locateRequest } from '../store/requests.ts';
import { submitRequest } from '../store/submissions.ts';
import { lendingError } from '../errors.ts';

/** A request id is a stream entry id, `<ms>-<seq>`. */
export const RequestIdParam = Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', maxLength: 41 });

export const SubmittedReply = Type.Object({ requestId: RequestIdParam });

/** The gateway passes its client's key on (as to ordering): a POST retried after a lost answer appends nothing. */
export const SubmitHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' })) });

const BookList = Type.Array(Id);

export const RequestStatusReply = Type.Object({
  requestId: RequestIdParam,
  kind: Type.Union([Type.Literal('lend'), Type.Literal('return'), Type.Literal('unknown')]),
  status: Type.Union(['PENDING', 'ACCEPTED', 'REJECTED', 'PROCESSED', 'DEAD_LETTERED'].map((status) => Type.Literal(status))),
  userId: Type.Optional(Id),
  reason: Type.Optional(Type.Union(LENDING_REJECTIONS.map((reason) => Type.Literal(reason)))),
  bookIds: Type.Optional(BookList),
  unavailableBookIds: Type.Optional(BookList),
  bookIdsAtFault: Type.Optional(BookList),
  returnedBookIds: Type.Optional(BookList),
  refusedBookIds: Type.Optional(BookList),
  processedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** DEAD_LETTERED: why the entry could not be handled. */
  error: Type.Optional(Type.String()),
});

/**
 * The book's HTTP front: a request or a return is appended to
 * `lending:requests` (XADD) and answered 202 at once with its entry id; the
 * consumer decides it later and GET /requests/:id reports where it is.
 */
export function requestRoutes(deps: { redis: RedisClient; requests: Publisher; store: LendingStore; group: string }) {
  return async (app: HttpApp): Promise<void> => {
    for (const [url, definition] of [['/requests', LendingRequested], ['/returns', ReturnRequested]] as const) {
      app.post(
        url,
        { schema: { body: definition.schema, headers: SubmitHeaders, response: { 202: SubmittedReply, 400: ErrorBody, 422: ErrorBody } } },
        async (request, reply) => {
          const { userId, bookIds } = request.body;
          const submitted = await submitRequest(deps.redis, deps.requests, definition, { userId, bookIds }, request.headers['idempotency-key']);
          if (submitted.kind === 'mismatch') throw lendingError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
          return reply.status(202).send({ requestId: submitted.requestId });
        },
      );
    }

    app.get(
      '/requests/:id',
      { schema: { params: Type.Object({ id: RequestIdParam }), response: { 200: RequestStatusReply, 400: ErrorBody, 404: ErrorBody } } },
      async (request) => {
        const requestId = request.params.id;
        const outcome = await deps.store.outcome(requestId);
        if (outcome) return outcome;
        const found = await locateRequest(deps.redis, deps.group, requestId);
        if (found.where === 'pending') return { requestId, kind: found.kind, status: 'PENDING' };
        if (found.where === 'dead-lettered') return { requestId, kind: found.kind, status: 'DEAD_LETTERED', error: found.error };
        throw lendingError('REQUEST_NOT_FOUND', `request ${requestId} is unknown, or was decided so long ago that its outcome expired`);
      },
    );
  };
}
