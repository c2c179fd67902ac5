/**
 * What a basket shows: its lines (Table 2-1: product id and quantity) priced
 * with the basket's own copy of the catalog. Pure functions, no I/O.
 */

export interface BasketLine {
  productId: string;
  quantity: number;
}

/** The basket's copy of a product, built from catalog events. */
export interface ProductCopy {
  name: string;
  priceCents: number;
}

export interface BasketItemView {
  productId: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
}

export interface BasketView {
  userId: string;
  items: BasketItemView[];
  totalCents: number;
  checkout: { orderId: string } | null;
}

/**
 * Lines in product id order, so the list does not reshuffle when a quantity
 * changes (the sorted set itself orders by quantity). A line whose product
 * has no copy cannot be priced and is left out; the basket refuses to add
 * such products, so only a damaged store shows one.
 */
export function basketView(
  userId: string,
  lines: readonly BasketLine[],
  products: ReadonlyMap<string, ProductCopy>,
  checkout: { orderId: string } | null,
): BasketView {
  const items: BasketItemView[] = [];
  let total = 0n;
  for (const line of [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))) {
    const product = products.get(line.productId);
    if (!product) continue;
    // BigInt: 10 000 × 10^12 cents is beyond Number's exact range.
    const lineTotal = BigInt(line.quantity) * BigInt(product.priceCents);
    total += lineTotal;
    items.push({
      productId: line.productId,
      name: product.name,
      quantity: line.quantity,
      unitPriceCents: product.priceCents,
      lineTotalCents: Number(lineTotal),
    });
  }
  return { userId, items, totalCents: Number(total), checkout };
}
