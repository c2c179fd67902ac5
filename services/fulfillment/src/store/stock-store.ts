import { runLuaScript, type RedisClient } from 'tributary';
import { parseShipReply, type OrderLine, type ShipReply } from '../domain/shipping.ts';
import { HANDLED_TTL_SECONDS, fulfillmentKeys } from './keys.ts';
import { createProductScript, runVariadicScript, shipOrderScript } from './scripts.ts';

export interface ProductRecord {
  productId: string;
  /** Meaningless for a digital product (kept as created, never checked or decremented). */
  stock: number;
  bannedCountries: string[];
  digital: boolean;
}

export type CreateProductResult = 'created' | 'already-known' | 'duplicate-event';

export interface StockStore {
  /** Stores a product's initial stock unless the product is known already (stock is never reset). */
  createProduct(group: string, eventId: string, product: ProductRecord): Promise<CreateProductResult>;
  /** Runs the shipping rules and the stock decrement atomically; `lines` must have distinct products. */
  shipOrder(group: string, eventId: string, order: { country: string; lines: OrderLine[] }): Promise<ShipReply>;
  getProduct(productId: string): Promise<ProductRecord | null>;
}

const CREATE_RESULTS: Record<number, CreateProductResult> = { 0: 'duplicate-event', 1: 'created', 2: 'already-known' };

export function createStockStore(redis: RedisClient, handledTtlSeconds = HANDLED_TTL_SECONDS): StockStore {
  return {
    async createProduct(group, eventId, product) {
      const reply = await runLuaScript<number>(
        redis,
        createProductScript,
        [fulfillmentKeys.handled(group, eventId), fulfillmentKeys.product(product.productId)],
        [product.stock, JSON.stringify(product.bannedCountries), handledTtlSeconds, product.digital ? '1' : '0'],
      );
      const result = CREATE_RESULTS[Number(reply)];
      if (!result) throw new Error(`createProduct script replied ${String(reply)}`);
      return result;
    },

    async shipOrder(group, eventId, order) {
      const keys = [fulfillmentKeys.handled(group, eventId), ...order.lines.map((line) => fulfillmentKeys.product(line.productId))];
      const args = [order.country, handledTtlSeconds, ...order.lines.flatMap((line) => [line.productId, line.quantity])];
      return parseShipReply(await runVariadicScript<unknown>(redis, shipOrderScript, keys, args));
    },

    async getProduct(productId) {
      const [stock, banned, digital] = await redis.sendCommand<Array<string | null>>(['HMGET', fulfillmentKeys.product(productId), 'stock', 'banned', 'digital']);
      if (stock === null || stock === undefined) return null;
      const parsed: unknown = JSON.parse(banned ?? '[]');
      const bannedCountries = Array.isArray(parsed) ? parsed.filter((code): code is string => typeof code === 'string') : [];
      // Products stored before the flag existed have no field: physical.
      return { productId, stock: Number(stock), bannedCountries, digital: digital === '1' };
    },
  };
}
