import { Type } from '@sinclair/typebox';
import { defineChannel, type Channel } from '../pubsub/channel.ts';
import { cacheKeys } from './keys.ts';

export const MAX_KEYS_PER_MESSAGE = 1_000;

const InvalidationMessage = Type.Object(
  { keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: MAX_KEYS_PER_MESSAGE }) },
  { additionalProperties: false },
);

/**
 * The channel on which a cache namespace broadcasts `{ keys }` it
 * invalidated, for every instance's in-process layer and for anyone else who
 * wants to know (a live dashboard). A hint only: Redis already dropped the
 * entries before it is sent.
 */
export function invalidationChannel(prefix: string): Channel<typeof InvalidationMessage> {
  return defineChannel(cacheKeys(prefix).invalidations, InvalidationMessage);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
