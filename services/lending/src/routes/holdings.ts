import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import type { LendingStore } from '../store/lending.ts';

export const UserBooksReply = Type.Object({ userId: Id, bookIds: Type.Array(Id), count: Type.Integer({ minimum: 0 }) });
export const StorageReply = Type.Object({ capacity: Type.Integer({ minimum: 0 }), bookIds: Type.Array(Id) });

/** Who holds what: a user's books, and what sits in the automated storage (for the dashboard and tests). */
export function holdingRoutes(deps: { store: LendingStore; storageCapacity: number }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/users/:id/books',
      { schema: { params: Type.Object({ id: Id }), response: { 200: UserBooksReply, 400: ErrorBody } } },
      async (request) => {
        const { bookIds, count } = await deps.store.userBooks(request.params.id);
        return { userId: request.params.id, bookIds, count };
      },
    );

    app.get('/storage', { schema: { response: { 200: StorageReply } } }, async () => ({
      capacity: deps.storageCapacity,
      bookIds: await deps.store.storage(),
    }));
  };
}
