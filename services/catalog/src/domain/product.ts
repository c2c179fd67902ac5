/** A product as the catalog owns it. Initial stock only: fulfillment owns live stock. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  bannedCountries: string[];
  createdAt: string;
}

export type NewProduct = Omit<Product, 'id' | 'createdAt'>;

/** Canonical form: upper-case, de-duplicated, sorted, so equal rules compare equal. */
export function normaliseCountries(countries: readonly string[]): string[] {
  return [...new Set(countries.map((country) => country.toUpperCase()))].sort();
}
