import { runLuaScript, type RedisClient } from 'tributary';
import type { ProductCopy } from '../domain/basket.ts';
import { HANDLED_TTL_SECONDS, basketKeys } from './keys.ts';
import { applyProductScript } from './scripts.ts';

/** The fields of a catalog event the basket copies; absent means "not in this event". */
export interface ProductFields {
  name?: string | undefined;
  priceCents?: number | undefined;
}

export interface ProductStore {
  /**
   * Applies a catalog event's fields, once per event id, each only if the
   * event is newer (by stream position) than what wrote that field last.
   * Returns 'duplicate' for an event already applied, else the number of fields written.
   */
  apply(group: string, eventId: string, position: string, productId: string, fields: ProductFields): Promise<'duplicate' | number>;
  /** The copies of the given products that have both a name and a price (the others are not known yet). */
  getMany(productIds: readonly string[]): Promise<Map<string, ProductCopy>>;
}

export function createProductStore(redis: RedisClient, handledTtlSeconds = HANDLED_TTL_SECONDS): ProductStore {
  return {
    async apply(group, eventId, position, productId, fields) {
      const pairs: string[] = [];
      if (fields.name !== undefined) pairs.push('name', fields.name);
      if (fields.priceCents !== undefined) pairs.push('priceCents', String(fields.priceCents));
      if (pairs.length === 0) return 0;
      const reply = Number(
        await runLuaScript<number>(
          redis,
          applyProductScript,
          [basketKeys.productHandled(productId, group, eventId), basketKeys.product(productId)],
          [position, handledTtlSeconds, ...pairs],
        ),
      );
      return reply < 0 ? 'duplicate' : reply;
    },

    async getMany(productIds) {
      // One round trip: node-redis pipelines commands issued in the same tick.
      const replies = await Promise.all(
        productIds.map((id) => redis.sendCommand<Array<string | null>>(['HMGET', basketKeys.product(id), 'name', 'priceCents'])),
      );
      const copies = new Map<string, ProductCopy>();
      productIds.forEach((id, index) => {
        const [name, price] = replies[index] ?? [];
        const priceCents = Number(price);
        if (typeof name === 'string' && name !== '' && typeof price === 'string' && Number.isSafeInteger(priceCents) && priceCents >= 0) {
          copies.set(id, { name, priceCents });
        }
      });
      return copies;
    },
  };
}
