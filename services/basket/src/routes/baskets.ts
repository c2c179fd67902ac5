import type { HttpApp } from 'tributary/http';
import { basketView, type BasketView } from '../domain/basket.ts';
import type { BasketStore } from '../store/basket-store.ts';
import type { ProductStore } from '../store/product-store.ts';
import type { UserStore } from '../store/user-store.ts';
import { BasketParams, BasketReply, CheckoutReply, ErrorBody, ItemParams, SetItemBody } from './schemas.ts';
import { basketError } from '../errors.ts';

export interface BasketRoutesDeps {
  basket: BasketStore;
  products: ProductStore;
  users: UserStore;
  checkout: (userId: string) => Promise<{ orderId: string }>;
}

/**
 * Baskets by user id: an expired basket is an empty one, and a user accounts
 * has not registered (as far as the basket's copy knows) has none: 404,
 * before anything is read or written.
 */
export function basketRoutes(deps: BasketRoutesDeps) {
  const { basket, products, users } = deps;

  async function requireUser(userId: string): Promise<void> {
    if (!(await users.known(userId))) {
      throw basketError('USER_NOT_FOUND', `no user ${userId} (a user registered a moment ago reaches the basket within a moment: retry)`);
    }
  }

  async function view(userId: string): Promise<BasketView> {
    const { lines, checkout } = await basket.readBasket(userId);
    const copies = await products.getMany(lines.map((line) => line.productId));
    return basketView(userId, lines, copies, checkout ? { orderId: checkout.orderId } : null);
  }

  async function setItem(userId: string, productId: string, quantity: number): Promise<BasketView> {
    if (quantity > 0 && !(await products.getMany([productId])).has(productId)) {
      throw basketError('UNKNOWN_PRODUCT', `product ${productId} is not known to the basket (no price copied from the catalog yet)`);
    }
    if ((await basket.setItem(userId, productId, quantity)) === 'BASKET_FULL') {
      throw basketError('BASKET_FULL', 'a basket holds at most 100 different products');
    }
    return view(userId);
  }

  return async (app: HttpApp): Promise<void> => {
    app.put(
      '/baskets/:userId/items/:productId',
      { schema: { params: ItemParams, body: SetItemBody, response: { 200: BasketReply, 404: ErrorBody, 422: ErrorBody } }, preHandler: (request) => requireUser(request.params.userId) },
      async (request) => setItem(request.params.userId, request.params.productId, request.body.quantity),
    );

    app.delete(
      '/baskets/:userId/items/:productId',
      { schema: { params: ItemParams, response: { 200: BasketReply, 404: ErrorBody } }, preHandler: (request) => requireUser(request.params.userId) },
      async (request) => setItem(request.params.userId, request.params.productId, 0),
    );

    app.get(
      '/baskets/:userId',
      { schema: { params: BasketParams, response: { 200: BasketReply, 404: ErrorBody } }, preHandler: (request) => requireUser(request.params.userId) },
      async (request) => view(request.params.userId),
    );

    app.post(
      '/baskets/:userId/checkout',
      { schema: { params: BasketParams, response: { 202: CheckoutReply, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody } }, preHandler: (request) => requireUser(request.params.userId) },
      async (request, reply) => reply.status(202).send(await deps.checkout(request.params.userId)),
    );
  };
}
