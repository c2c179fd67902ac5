import { replyPairs, type RedisClient } from 'tributary';
import type { OrderLine } from '../domain/leaderboards.ts';
import { ORDER_LINES_TTL_SECONDS, monitoringKeys } from './keys.ts';

const ITEM_FIELD = 'item:';
const ITEM_FIELD_PATTERN = /^item:([A-Za-z0-9_-]{1,64})$/;

/**
 * OrderCompleted carries no items, so the lines of OrderPlaced are kept here
 * until then. Writing them is idempotent (HSET of the same merged totals,
 * never HINCRBY), so a redelivered OrderPlaced changes nothing.
 */
export interface OrderLinesStore {
  remember(orderId: string, lines: readonly OrderLine[]): Promise<void>;
  /** The order's lines, or null when OrderPlaced was never seen (or its lines expired). */
  read(orderId: string): Promise<OrderLine[] | null>;
  /** Drops the order's lines once it has been ranked: kept only for that, not for the expiry's week. */
  forget(orderId: string): Promise<void>;
}

/** Parses the hash read back; our own data, so anything malformed is a loud error (the handler retries, then dead-letters). */
export function parseOrderLines(orderId: string, reply: unknown): OrderLine[] | null {
  const pairs = replyPairs(reply);
  if (pairs.length === 0) return null;
  const lines: OrderLine[] = [];
  for (const [field, value] of pairs) {
    const raw = String(value);
    const productId = ITEM_FIELD_PATTERN.exec(field)?.[1];
    const quantity = Number(raw);
    if (!productId || !/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(quantity)) {
      throw new Error(`order-lines of ${orderId}: unreadable field ${JSON.stringify(field)} = ${JSON.stringify(raw)}`);
    }
    lines.push({ productId, quantity });
  }
  return lines;
}

export function createOrderLinesStore(redis: RedisClient): OrderLinesStore {
  return {
    async remember(orderId, lines) {
      const key = monitoringKeys.orderLines(orderId);
      // One MULTI: the lines never exist without their expiry.
      await redis
        .multi()
        .addCommand(['HSET', key, ...lines.flatMap((line) => [`${ITEM_FIELD}${line.productId}`, String(line.quantity)])])
        .addCommand(['EXPIRE', key, String(ORDER_LINES_TTL_SECONDS)])
        .exec();
    },

    async read(orderId) {
      return parseOrderLines(orderId, await redis.sendCommand(['HGETALL', monitoringKeys.orderLines(orderId)]));
    },

    async forget(orderId) {
      await redis.sendCommand(['DEL', monitoringKeys.orderLines(orderId)]);
    },
  };
}
