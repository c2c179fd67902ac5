import { runLuaScript, scanKeys, type RedisClient } from 'tributary';
import { parseShipReply, type OrderLine, type ShipReply, type ShipmentOutcome } from '../domain/shipping.ts';
import { HANDLED_TTL_SECONDS, fulfillmentKeys } from './keys.ts';
import { createProductScript, holdStockScript, releaseStockScript, shipOneProductScript } from './scripts.ts';

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
  /** Runs the shipping rules and takes the stock, all or nothing, once per event; `lines` must have distinct products. */
  shipOrder(group: string, eventId: string, order: { country: string; lines: OrderLine[] }): Promise<ShipReply>;
  getProduct(productId: string): Promise<ProductRecord | null>;
}

const CREATE_RESULTS: Record<number, CreateProductResult> = { 0: 'duplicate-event', 1: 'created', 2: 'already-known' };

/**
 * Whether markers of the layout before Cluster support (`fulfillment:handled:*`)
 * are left: then each order first looks for its outcome there, so an event
 * decided before the upgrade and redelivered after it is not decided again.
 * They expire (HANDLED_MARKER_RETENTION_MS); a start that finds none never
 * looks again. One SCAN of each primary, at start.
 */
export async function legacyMarkersLeft(redis: RedisClient): Promise<boolean> {
  for await (const _keys of scanKeys(redis, fulfillmentKeys.legacyHandledPattern())) return true;
  return false;
}

/**
 * Stock and shipping rules in Redis, one product per Cluster slot.
 *
 * An order of one product (the usual one) is decided, taken and recorded by
 * one script in that product's slot. An order of several products cannot be
 * one script on a Cluster, so it is shipped in steps, each idempotent per
 * event and product, and the handler's redelivery after a crash repeats them:
 *
 * 1. its stored outcome, if any (in the first product's slot), is the answer;
 * 2. the products are read: an unknown one means "retry later", a banned one
 *    fails the order, and nothing is taken;
 * 3. each physical product's quantity is taken (`holdStock`, a hold marker
 *    per event and product, so a repeat takes nothing more);
 * 4. if any was short, every hold of this event is given back
 *    (`releaseStock`) and the order fails naming the short products;
 * 5. the outcome is stored, once (SET NX): a redelivery answers it.
 *
 * What another order may see between the steps: a product's stock lowered by
 * an order that then fails on another product and gives it back. That other
 * order can fail for stock that comes back a moment later (a spurious "out of
 * stock"); it can never take stock that another order holds (no oversell).
 */
export function createStockStore(redis: RedisClient, handledTtlSeconds = HANDLED_TTL_SECONDS, options: { legacyMarkers?: boolean } = {}): StockStore {
  const legacyMarkers = options.legacyMarkers ?? false;

  async function legacyOutcome(group: string, eventId: string): Promise<string | null> {
    return legacyMarkers ? redis.sendCommand<string | null>(['GET', fulfillmentKeys.legacyHandled(group, eventId)]) : null;
  }

  async function readProducts(productIds: string[]): Promise<Array<ProductRecord | null>> {
    // Sent in one tick: node-redis pipelines them (one round trip per node).
    return Promise.all(productIds.map((id) => getProduct(id)));
  }

  async function getProduct(productId: string): Promise<ProductRecord | null> {
    const [stock, banned, digital] = await redis.sendCommand<Array<string | null>>(['HMGET', fulfillmentKeys.product(productId), 'stock', 'banned', 'digital']);
    if (stock === null || stock === undefined) return null;
    const parsed: unknown = JSON.parse(banned ?? '[]');
    const bannedCountries = Array.isArray(parsed) ? parsed.filter((code): code is string => typeof code === 'string') : [];
    // Products stored before the flag existed have no field: physical.
    return { productId, stock: Number(stock), bannedCountries, digital: digital === '1' };
  }

  async function shipInSteps(group: string, eventId: string, country: string, lines: OrderLine[]): Promise<ShipReply> {
    if (lines.length === 0) throw new Error('TRIB_BAD_ARGUMENTS shipOrder: an order has at least one line');
    for (const line of lines) {
      if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) throw new Error(`TRIB_BAD_ARGUMENTS shipOrder: quantity of ${line.productId} must be a positive integer`);
    }
    const outcomeKey = fulfillmentKeys.outcome((lines[0] as OrderLine).productId, group, eventId);
    const stored = await redis.sendCommand<string | null>(['GET', outcomeKey]);
    if (stored) return parseShipReply(stored);

    const products = await readProducts(lines.map((line) => line.productId));
    const unknown = lines.filter((_, index) => !products[index]).map((line) => line.productId);
    if (unknown.length > 0) return { outcome: 'UNKNOWN_PRODUCT', productIds: unknown };
    const known = lines.map((line, index) => ({ ...line, product: products[index] as ProductRecord }));
    const hold = (line: OrderLine) => fulfillmentKeys.hold(line.productId, group, eventId);

    let outcome: ShipmentOutcome;
    const banned = known.filter((line) => line.product.bannedCountries.includes(country)).map((line) => line.productId);
    if (banned.length > 0) {
      outcome = { outcome: 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds: banned };
    } else {
      const physical = known.filter((line) => !line.product.digital);
      const held = await Promise.all(
        physical.map((line) => runLuaScript<string>(redis, holdStockScript, [fulfillmentKeys.product(line.productId), hold(line)], [line.quantity, handledTtlSeconds])),
      );
      const short = physical.filter((_, index) => held[index] !== 'held').map((line) => line.productId);
      if (short.length > 0) {
        await Promise.all(physical.map((line) => runLuaScript<number>(redis, releaseStockScript, [fulfillmentKeys.product(line.productId), hold(line)], [line.quantity])));
        // Products are never deleted, so a product read a moment ago is not unknown now: every miss is short stock.
        outcome = { outcome: 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds: short };
      } else {
        outcome = { outcome: 'SHIPPED', digitalProductIds: known.filter((line) => line.product.digital).map((line) => line.productId) };
      }
    }
    const json = JSON.stringify(outcome.outcome === 'SHIPPED' && outcome.digitalProductIds.length === 0 ? { outcome: 'SHIPPED' } : outcome);
    const first = await redis.sendCommand<string | null>(['SET', outcomeKey, json, 'NX', 'EX', String(handledTtlSeconds)]);
    // Decided meanwhile by another attempt at the same event (a reclaimed entry): its answer stands.
    return first === null ? parseShipReply(await redis.sendCommand<string | null>(['GET', outcomeKey])) : outcome;
  }

  return {
    async createProduct(group, eventId, product) {
      const reply = await runLuaScript<number>(
        redis,
        createProductScript,
        [fulfillmentKeys.created(product.productId, group, eventId), fulfillmentKeys.product(product.productId)],
        [product.stock, JSON.stringify(product.bannedCountries), handledTtlSeconds, product.digital ? '1' : '0'],
      );
      const result = CREATE_RESULTS[Number(reply)];
      if (!result) throw new Error(`createProduct script replied ${String(reply)}`);
      return result;
    },

    async shipOrder(group, eventId, order) {
      const legacy = await legacyOutcome(group, eventId);
      if (legacy) return parseShipReply(legacy);
      if (order.lines.length !== 1) return shipInSteps(group, eventId, order.country, order.lines);
      const [line] = order.lines as [OrderLine];
      const keys = [fulfillmentKeys.outcome(line.productId, group, eventId), fulfillmentKeys.product(line.productId)];
      return parseShipReply(await runLuaScript<unknown>(redis, shipOneProductScript, keys, [order.country, handledTtlSeconds, line.productId, line.quantity]));
    },

    getProduct,
  };
}
