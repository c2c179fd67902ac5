import { runLuaScript, type RedisClient } from 'tributary';
import { checkoutScript, releaseScript, shelveScript } from './scripts.ts';
import { HANDLED_TTL_SECONDS, shelvingKeys } from './keys.ts';

export type CheckoutResult = { kind: 'handed' | 'already' } | { kind: 'held'; heldBy: string };

export interface ShelvesStore {
  /** Hands `bookId` to `requestId` unless another request holds it; idempotent per request. */
  checkout(bookId: string, requestId: string): Promise<CheckoutResult>;
  /** Puts books back on their shelves, once per event id; null when the event was already applied. */
  shelve(eventId: string, bookIds: string[]): Promise<number | null>;
  /** Puts back the books still held by `requestId` (and only those); returns how many. */
  release(requestId: string, bookIds: string[]): Promise<number>;
  /** Which request holds the book, or null when it is on a shelf. */
  holder(bookId: string): Promise<string | null>;
}

export function createShelvesStore(redis: RedisClient, handledTtlSeconds = HANDLED_TTL_SECONDS): ShelvesStore {
  return {
    async checkout(bookId, requestId) {
      const reply = await runLuaScript<string[]>(redis, checkoutScript, [shelvingKeys.out()], [bookId, requestId]);
      if (reply[0] === 'held') return { kind: 'held', heldBy: String(reply[1]) };
      if (reply[0] === 'handed' || reply[0] === 'already') return { kind: reply[0] };
      throw new Error(`checkout script replied ${JSON.stringify(reply)}`);
    },
    async shelve(eventId, bookIds) {
      const reply = await runLuaScript<number>(redis, shelveScript, [shelvingKeys.handled(eventId), shelvingKeys.out()], [handledTtlSeconds, ...bookIds]);
      return Number(reply) < 0 ? null : Number(reply);
    },
    async release(requestId, bookIds) {
      return Number(await runLuaScript<number>(redis, releaseScript, [shelvingKeys.out()], [requestId, ...bookIds]));
    },
    async holder(bookId) {
      return (await redis.sendCommand<string | null>(['HGET', shelvingKeys.out(), bookId])) ?? null;
    },
  };
}
