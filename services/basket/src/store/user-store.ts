import type { RedisClient } from 'tributary';
import { basketKeys } from './keys.ts';

/**
 * The basket's copy of which users exist, fed by accounts' UserRegistered:
 * a basket is only ever written for a user accounts has registered, without
 * the basket asking accounts on every request.
 */
export interface UserStore {
  /** Idempotent: a redelivered UserRegistered sets the same key again. */
  remember(userId: string): Promise<void>;
  known(userId: string): Promise<boolean>;
}

export function createUserStore(redis: RedisClient): UserStore {
  return {
    async remember(userId) {
      await redis.sendCommand(['SET', basketKeys.user(userId), '1']);
    },
    async known(userId) {
      return Number(await redis.sendCommand(['EXISTS', basketKeys.user(userId)])) === 1;
    },
  };
}
