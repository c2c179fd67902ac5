import { duplicateProduct, priceRequest, type NewOrder, type OrderRequest } from '../domain/place-order.ts';
import { OwnerUnavailableError, type OwnerLookups } from '../owner-lookups.ts';
import { isKnownCustomer } from '../store/known-customers.ts';
import { findProductPrices } from '../store/products-store.ts';
import type { OrderingContext } from './context.ts';
import { orderingError } from '../errors.ts';

/**
 * Checks a POST /orders request against ordering's own copies of users and
 * prices (fed by accounts' and the catalog's events) and prices its lines.
 * Only what the copies have not heard of yet is asked of its owner, once:
 * so orders for known users and products are placed while accounts and the
 * catalog are down, and a user or product created a moment ago can be
 * ordered at once while they are up. Without `owners` (ordering run alone)
 * a miss is simply unknown.
 *
 * 400 DUPLICATE_PRODUCT, 422 UNKNOWN_USER / UNKNOWN_PRODUCT, or 503
 * SERVICE_UNAVAILABLE when a miss could not be checked with its owner.
 */
export async function priceOrder(ctx: OrderingContext, owners: OwnerLookups | null, request: OrderRequest): Promise<NewOrder> {
  const duplicate = duplicateProduct(request.items);
  if (duplicate !== null) throw orderingError('DUPLICATE_PRODUCT', `product ${duplicate} appears more than once; use quantity`);
  const productIds = request.items.map((item) => item.productId);
  const known = await isKnownCustomer(ctx.db, request.userId);
  const prices = await findProductPrices(ctx.db, productIds);
  const missing = productIds.filter((id) => !prices.has(id));

  const [user, looked] = await Promise.allSettled([
    known ? Promise.resolve(true) : owners ? owners.userExists(request.userId) : Promise.resolve(false),
    missing.length === 0 || !owners ? Promise.resolve(new Map<string, number>()) : owners.productPrices(missing),
  ]);
  if (user.status === 'rejected') throw unavailable(user.reason);
  if (!user.value) throw orderingError('UNKNOWN_USER', `no user with id ${request.userId}`);
  if (looked.status === 'rejected') throw unavailable(looked.reason);
  if (looked.value.size > 0) ctx.logger.debug({ productIds: [...looked.value.keys()] }, 'priced from the catalog: not copied yet');
  const priced = priceRequest(request, new Map([...prices, ...looked.value]));
  if (!priced.ok) throw orderingError('UNKNOWN_PRODUCT', `no product with id ${priced.missing.join(', ')}`);
  return priced.order;
}

function unavailable(reason: unknown): Error {
  if (!(reason instanceof OwnerUnavailableError)) return reason instanceof Error ? reason : new Error(String(reason));
  return orderingError('SERVICE_UNAVAILABLE', `${reason.owner} is needed to check this order and cannot be reached; try again`);
}
