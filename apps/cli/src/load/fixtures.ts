import { callGateway, failure } from '../gateway.ts';

export const PRICE_CENTS = 100;
/** Enough for any run: an order costs one unit and PRICE_CENTS. */
const BALANCE_CENTS = 1_000_000_000;
const STOCK = 100_000_000;

async function create(base: string, path: string, body: unknown, apiKey: string | null, what: string): Promise<string> {
  const answer = await callGateway<{ id: string }>(base, 'POST', path, { body, apiKey });
  if (answer.status !== 201) throw failure(`cannot create the load's ${what}`, answer);
  return answer.body.id;
}

/**
 * The run's own customers (one per client, so no two clients contend for one
 * account) and a few products, created through the gateway. Creating products
 * is an admin operation: `apiKey` when the gateway has a key.
 */
export async function createFixtures(base: string, apiKey: string | null, run: string, customers: number, products: number): Promise<{ userIds: string[]; productIds: string[] }> {
  const userIds: string[] = [];
  for (let i = 0; i < customers; i += 1) {
    userIds.push(await create(base, '/api/users', { name: `Load ${run} ${i}`, email: `load-${run}-${i}@example.com`, country: 'GB', balanceCents: BALANCE_CENTS }, apiKey, 'users'));
  }
  const productIds: string[] = [];
  for (let i = 0; i < products; i += 1) {
    productIds.push(
      await create(base, '/api/products', { sku: `LOAD-${run}-${i}`, name: `Load tea ${run} ${i}`, priceCents: PRICE_CENTS, stock: STOCK, bannedCountries: [] }, apiKey, 'products'),
    );
  }
  return { userIds, productIds };
}
