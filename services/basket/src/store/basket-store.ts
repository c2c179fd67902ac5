import { replyPairs, runLuaScript, type RedisClient } from 'tributary';
import type { BasketLine } from '../domain/basket.ts';
import { MAX_BASKET_PRODUCTS, type CheckoutItem } from '../domain/checkout.ts';
import { basketKeys } from './keys.ts';
import { parsePendingCheckout, type PendingCheckout } from './pending-checkout.ts';
import { checkoutScript, completeCheckoutScript, forgetDueScript, setItemScript } from './scripts.ts';

export type RecordCheckoutReply =
  | { kind: 'created' | 'existing'; checkout: PendingCheckout }
  | { kind: 'empty' }
  | { kind: 'changed' };

export interface BasketStore {
  /** Sets a product's quantity (0 removes it) and restarts the inactivity clock. */
  setItem(userId: string, productId: string, quantity: number): Promise<'OK' | 'BASKET_FULL'>;
  /** The basket's lines (Table 2-1) and its pending checkout, if any. */
  readBasket(userId: string): Promise<{ lines: BasketLine[]; checkout: PendingCheckout | null }>;
  /** Records the checkout of `items` unless one is pending (see checkout-2.lua). */
  recordCheckout(userId: string, attempt: { orderId: string; now: number; items: CheckoutItem[] }): Promise<RecordCheckoutReply>;
  /** Ordering placed `orderId`: remove what it checked out; false when there was nothing to do. */
  completeCheckout(userId: string, orderId: string): Promise<boolean>;
  pendingCheckout(userId: string): Promise<PendingCheckout | null>;
  /** Asks the sweep to look at this user's checkout at `atMs`. */
  markDue(userId: string, atMs: number): Promise<void>;
  /** Users whose checkout the sweep should look at now, with the score it read. */
  dueCheckouts(nowMs: number, limit: number): Promise<Array<{ userId: string; score: string }>>;
  /** Removes a user from the due set unless a checkout re-added it since `score` was read. */
  forgetDue(userId: string, score: string): Promise<boolean>;
}

export function createBasketStore(redis: RedisClient, options: { ttlSeconds: number }): BasketStore {
  const { ttlSeconds } = options;

  async function pendingCheckout(userId: string): Promise<PendingCheckout | null> {
    const [orderId, items, createdAt] = await redis.sendCommand<Array<string | null>>(['HMGET', basketKeys.checkout(userId), 'orderId', 'items', 'createdAt']);
    if (!orderId) return null;
    return parsePendingCheckout(userId, orderId, items ?? '', createdAt ?? '');
  }

  return {
    async setItem(userId, productId, quantity) {
      const reply = await runLuaScript<string>(
        redis,
        setItemScript,
        [basketKeys.basket(userId), basketKeys.checkout(userId)],
        [productId, quantity, ttlSeconds, MAX_BASKET_PRODUCTS],
      );
      if (reply !== 'OK' && reply !== 'BASKET_FULL') throw new Error(`setItem script replied ${String(reply)}`);
      return reply;
    },

    async readBasket(userId) {
      const [pairs, checkout] = await Promise.all([
        redis.sendCommand(['ZRANGE', basketKeys.basket(userId), '0', '-1', 'WITHSCORES']).then(replyPairs),
        pendingCheckout(userId),
      ]);
      const lines = pairs.map(([productId, score]): BasketLine => {
        const quantity = Number(score);
        if (!Number.isSafeInteger(quantity) || quantity < 1) throw new Error(`basket of ${userId} holds quantity ${String(score)}`);
        return { productId, quantity };
      });
      return { lines, checkout };
    },

    async recordCheckout(userId, attempt) {
      const reply = await runLuaScript<unknown>(
        redis,
        checkoutScript,
        [basketKeys.basket(userId), basketKeys.checkout(userId)],
        [attempt.orderId, attempt.now, ttlSeconds, JSON.stringify(attempt.items)],
      );
      if (!Array.isArray(reply) || !reply.every((part): part is string => typeof part === 'string')) {
        throw new Error(`checkout script replied ${JSON.stringify(reply)}`);
      }
      const [kind, orderId, items, createdAt] = reply;
      if (kind === 'empty' || kind === 'changed') return { kind };
      if ((kind === 'created' || kind === 'existing') && orderId !== undefined && items !== undefined && createdAt !== undefined) {
        return { kind, checkout: parsePendingCheckout(userId, orderId, items, createdAt) };
      }
      throw new Error(`checkout script replied ${JSON.stringify(reply)}`);
    },

    async completeCheckout(userId, orderId) {
      const reply = await runLuaScript<number>(
        redis,
        completeCheckoutScript,
        [basketKeys.basket(userId), basketKeys.checkout(userId)],
        [orderId, ttlSeconds],
      );
      return Number(reply) === 1;
    },

    pendingCheckout,

    async markDue(userId, atMs) {
      await redis.sendCommand(['ZADD', basketKeys.checkoutsDue(), String(atMs), userId]);
    },

    async dueCheckouts(nowMs, limit) {
      const due = replyPairs(await redis.sendCommand(['ZRANGE', basketKeys.checkoutsDue(), '-inf', String(nowMs), 'BYSCORE', 'LIMIT', '0', String(limit), 'WITHSCORES']));
      // The score stays the text Redis sent, handed back as is to forgetDue's script.
      return due.map(([userId, score]) => ({ userId, score: String(score) }));
    },

    async forgetDue(userId, score) {
      return Number(await runLuaScript<number>(redis, forgetDueScript, [basketKeys.checkoutsDue()], [userId, score])) === 1;
    },
  };
}
