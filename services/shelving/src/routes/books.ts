import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import type { ShelvesStore } from '../store/shelves.ts';
import { shelvingError } from '../errors.ts';

const BookParams = Type.Object({ bookId: Id });

/** Lending's request ids are stream entry ids (`<ms>-<seq>`); shelving only needs them to be ids. */
export const CheckoutBody = Type.Object({ requestId: Id }, { additionalProperties: false });
export const CheckoutReply = Type.Object({ bookId: Id, requestId: Id });
export const BookReply = Type.Object({ bookId: Id, onShelf: Type.Boolean(), heldBy: Type.Optional(Id) });

/**
 * The shelving API lending calls. Checkout is idempotent per request id, so
 * lending may call it again after a crash or a lost reply and be told yes
 * again; 409 means another request holds the book.
 */
export function bookRoutes(deps: { shelves: ShelvesStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.post(
      '/books/:bookId/checkout',
      { schema: { params: BookParams, body: CheckoutBody, response: { 200: CheckoutReply, 400: ErrorBody, 409: ErrorBody } } },
      async (request) => {
        const { bookId } = request.params;
        const { requestId } = request.body;
        const result = await deps.shelves.checkout(bookId, requestId);
        if (result.kind === 'held') throw shelvingError('BOOK_NOT_ON_SHELF', `book ${bookId} is handed out to another request`);
        request.log.info({ bookId, requestId, repeated: result.kind === 'already' }, `Book ${bookId} fetched from the shelves for request [${requestId}]`);
        return { bookId, requestId };
      },
    );

    app.get(
      '/books/:bookId',
      { schema: { params: BookParams, response: { 200: BookReply, 400: ErrorBody } } },
      async (request) => {
        const { bookId } = request.params;
        const heldBy = await deps.shelves.holder(bookId);
        return heldBy === null ? { bookId, onShelf: true } : { bookId, onShelf: false, heldBy };
      },
    );
  };
}
