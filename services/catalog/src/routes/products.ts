import { randomUUID } from 'node:crypto';
import { ProductCreated } from '@tributary/contracts';
import type { Publisher } from 'tributary';
import { HttpError, type HttpApp } from 'tributary/http';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import { inRequestedOrder, normalizeBannedCountries } from '../domain/products.ts';
import { findProduct, findProducts, insertProduct, listProducts } from '../store/products.ts';
import {
  CreateProductBody,
  DEFAULT_LIMIT,
  ErrorBody,
  ListQuery,
  ListReply,
  LookupBody,
  LookupReply,
  ProductParams,
  ProductReply,
} from './schemas.ts';

export interface ProductRoutesDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
}

export async function productRoutes(app: HttpApp, deps: ProductRoutesDeps): Promise<void> {
  const { db, outbox, publisher } = deps;

  app.post('/products', { schema: { body: CreateProductBody, response: { 201: ProductReply, 409: ErrorBody } } }, async (request, reply) => {
    const body = request.body;
    // The row and its ProductCreated event commit together (outbox).
    const product = await db.transaction(async (tx) => {
      const created = await insertProduct(tx, {
        id: randomUUID(),
        sku: body.sku,
        name: body.name,
        priceCents: body.priceCents,
        stock: body.stock,
        bannedCountries: normalizeBannedCountries(body.bannedCountries ?? []),
      });
      if (!created) throw new HttpError(409, 'SKU_TAKEN', `a product with SKU "${body.sku}" already exists`);
      const { id: productId, sku, name, priceCents, stock, bannedCountries } = created;
      await outbox.add(tx, publisher.envelope(ProductCreated, { productId, sku, name, priceCents, stock, bannedCountries }));
      return created;
    });
    outbox.nudge();
    return reply.status(201).send(product);
  });

  app.get('/products/:id', { schema: { params: ProductParams, response: { 200: ProductReply, 404: ErrorBody } } }, async (request) => {
    const product = await findProduct(db, request.params.id);
    if (!product) throw new HttpError(404, 'PRODUCT_NOT_FOUND', `no product ${request.params.id}`);
    return product;
  });

  app.get('/products', { schema: { querystring: ListQuery, response: { 200: ListReply } } }, async (request) => {
    const { sort = 'createdAt', order = 'asc', limit = DEFAULT_LIMIT, offset = 0 } = request.query;
    return listProducts(db, { sort, order, limit, offset });
  });

  // POST because a hundred ids do not fit a URL comfortably; it reads only.
  app.post('/products/lookup', { schema: { body: LookupBody, response: { 200: LookupReply } } }, async (request) => {
    const { ids } = request.body;
    return { items: inRequestedOrder(ids, await findProducts(db, ids)) };
  });
}
