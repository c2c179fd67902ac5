import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideShipment, mergeLines, type OrderLine, type ProductStock } from '../src/domain/shipping.ts';
import { SERVICE } from '../src/store/keys.ts';
import { createStockStore } from '../src/store/stock-store.ts';
import { useRedis } from 'tributary/testing/vitest';

/**
 * The store (one script for a one-product order, steps for several) against
 * the pure model: for random catalogues (physical and digital products) and
 * random sequences of orders, the store answers what `decideShipment`
 * answers (digital products listed, never short of stock, still banned) and
 * leaves the same stock behind.
 */
const env = useRedis();

const COUNTRIES = ['GB', 'US', 'FR'];
const catalogue = fc.array(
  fc.record({ stock: fc.integer({ min: 0, max: 6 }), bannedCountries: fc.subarray(COUNTRIES), known: fc.boolean(), digital: fc.boolean() }),
  { minLength: 1, maxLength: 4 },
);
const orders = (size: number) =>
  fc.array(
    fc.record({
      country: fc.constantFrom(...COUNTRIES),
      items: fc.array(fc.record({ product: fc.nat({ max: size - 1 }), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 8 },
  );

describe('shipOrder (one script for one product, steps for several)', () => {
  it('agrees with decideShipment on replies and stock', async () => {
    const store = createStockStore(env.redis);
    await fc.assert(
      fc.asyncProperty(
        catalogue.chain((products) => fc.tuple(fc.constant(products), orders(products.length))),
        async ([products, sequence]) => {
          const ids = products.map(() => randomUUID());
          const model = new Map<string, ProductStock>();
          for (const [index, product] of products.entries()) {
            if (!product.known) continue;
            const id = ids[index] as string;
            model.set(id, { stock: product.stock, bannedCountries: product.bannedCountries, digital: product.digital });
            await store.createProduct(SERVICE, randomUUID(), { productId: id, stock: product.stock, bannedCountries: product.bannedCountries, digital: product.digital });
          }
          for (const order of sequence) {
            const items: OrderLine[] = order.items.map((item) => ({ productId: ids[item.product] as string, quantity: item.quantity }));
            const expected = decideShipment(model, order.country, items);
            const eventId = randomUUID();
            const actual = await store.shipOrder(SERVICE, eventId, { country: order.country, lines: mergeLines(items) });
            expect(actual).toEqual(expected.reply);
            for (const [id, stock] of expected.stockAfter) model.set(id, { ...(model.get(id) as ProductStock), stock });
            // Asking again for the same event changes nothing and answers the same (unknown: still unknown).
            expect(await store.shipOrder(SERVICE, eventId, { country: order.country, lines: mergeLines(items) })).toEqual(expected.reply);
          }
          for (const [id, product] of model) expect((await store.getProduct(id))?.stock).toBe(product.stock);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects malformed arguments before writing anything', async () => {
    const store = createStockStore(env.redis);
    const productId = randomUUID();
    await store.createProduct(SERVICE, randomUUID(), { productId, stock: 5, bannedCountries: [], digital: false });
    await expect(store.shipOrder(SERVICE, randomUUID(), { country: 'GB', lines: [{ productId, quantity: 0 }] })).rejects.toThrow(/BAD_ARGUMENTS/);
    await expect(store.shipOrder(SERVICE, randomUUID(), { country: 'GB', lines: [{ productId, quantity: 1.5 }] })).rejects.toThrow(/BAD_ARGUMENTS/);
    expect((await store.getProduct(productId))?.stock).toBe(5);
  });
});
