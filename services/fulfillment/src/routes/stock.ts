import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import type { StockStore } from '../store/stock-store.ts';
import { fulfillmentError } from '../errors.ts';

/**
 * `stock` is the units on hand for a physical product, and null for a
 * digital one (`digital: true`): an e-book has no stock to report.
 */
const StockReply = Type.Object({
  productId: Id,
  digital: Type.Boolean(),
  stock: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  bannedCountries: Type.Array(Type.String()),
});

/** GET /stock/:productId: what fulfillment knows of a product (internal API, called by the gateway). */
export function stockRoutes(deps: { store: StockStore }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/stock/:productId',
      { schema: { params: Type.Object({ productId: Id }), response: { 200: StockReply, 404: ErrorBody } } },
      async (request) => {
        const product = await deps.store.getProduct(request.params.productId);
        if (!product) throw fulfillmentError('PRODUCT_NOT_FOUND', `product ${request.params.productId} is not known to fulfillment`);
        const { productId, digital, stock, bannedCountries } = product;
        return { productId, digital, stock: digital ? null : stock, bannedCountries };
      },
    );
  };
}
