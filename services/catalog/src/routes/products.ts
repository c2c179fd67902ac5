import { randomUUID } from 'node:crypto';
import { ProductChanged, ProductCreated } from '@tributary/contracts';
import type { Publisher } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import { inRequestedOrder, normalizeBannedCountries, productChanges } from '../domain/products.ts';
import type { PriceIndex } from '../store/price-index.ts';
import type { ProductReader } from '../store/product-reader.ts';
import { findProductForUpdate, findProducts, insertProduct, listProducts, updateProduct, type Product } from '../store/products.ts';
import {
  CreateProductBody,
  DEFAULT_LIMIT,
  ErrorBody,
  ListQuery,
  ListReply,
  LookupBody,
  LookupReply,
  PatchProductBody,
  ProductParams,
  ProductReply,
} from './schemas.ts';
import { catalogError } from '../errors.ts';

export interface ProductRoutesDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
  reader: ProductReader;
  index: PriceIndex;
  /** Brings the Redis copies (cache, price index) in step after a commit; never fails the request. */
  afterWrite(product: Product): Promise<void>;
}

const notFound = (id: string) => catalogError('PRODUCT_NOT_FOUND', `no product ${id}`);

export async function productRoutes(app: HttpApp, deps: ProductRoutesDeps): Promise<void> {
  const { db, outbox, publisher, reader, index } = deps;

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
        digital: body.digital ?? false,
      });
      if (!created) throw catalogError('SKU_TAKEN', `a product with SKU "${body.sku}" already exists`);
      const { id: productId, sku, name, priceCents, stock, bannedCountries, digital } = created;
      await outbox.add(tx, publisher.envelope(ProductCreated, { productId, sku, name, priceCents, stock, bannedCountries, digital }));
      return created;
    });
    outbox.nudge();
    await deps.afterWrite(product);
    return reply.status(201).send(product);
  });

  app.patch(
    '/products/:id',
    { schema: { params: ProductParams, body: PatchProductBody, response: { 200: ProductReply, 404: ErrorBody } } },
    async (request) => {
      const { id } = request.params;
      // The row is locked while the changes are computed, so two PATCHes never both claim to change a field.
      const result = await db.transaction(async (tx) => {
        const current = await findProductForUpdate(tx, id);
        if (!current) throw notFound(id);
        const changes = productChanges(current, request.body);
        if (!changes) return { product: current, changed: false };
        const updated = await updateProduct(tx, id, changes);
        if (!updated) throw notFound(id);
        await outbox.add(tx, publisher.envelope(ProductChanged, { productId: id, changes }));
        return { product: updated, changed: true };
      });
      if (result.changed) {
        outbox.nudge();
        await deps.afterWrite(result.product);
      }
      return result.product;
    },
  );

  app.get('/products/:id', { schema: { params: ProductParams, response: { 200: ProductReply, 404: ErrorBody } } }, async (request) => {
    const product = await reader.get(request.params.id);
    if (!product) throw notFound(request.params.id);
    return product;
  });

  app.get('/products', { schema: { querystring: ListQuery, response: { 200: ListReply } } }, async (request) => {
    const { sort = 'createdAt', order = 'asc', limit = DEFAULT_LIMIT, offset = 0 } = request.query;
    // By price from the sorted set while the store is up; PostgreSQL answers the same question otherwise.
    if (sort === 'price' && index.available()) {
      const page = await index.page(order, limit, offset);
      return { items: await reader.getMany(page.ids), total: page.total };
    }
    return listProducts(db, { sort, order, limit, offset });
  });

  // POST because a hundred ids do not fit a URL comfortably; it reads only,
  // from the table: ordering prices orders with it and must not see a stale copy.
  app.post('/products/lookup', { schema: { body: LookupBody, response: { 200: LookupReply } } }, async (request) => {
    const { ids } = request.body;
    return { items: inRequestedOrder(ids, await findProducts(db, ids)) };
  });
}
