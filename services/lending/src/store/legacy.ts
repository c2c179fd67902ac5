import { scanKeys, type RedisClient } from 'tributary';
import { legacyLendingKeys, lendingKeys } from './keys.ts';

/** The new name of a key of the layout before Cluster support, or null for one to drop. */
function renamed(key: string): string | null {
  if (key === legacyLendingKeys.lent()) return lendingKeys.lent();
  let match = /^lending:user:(.+):(count|books)$/.exec(key);
  if (match) return match[2] === 'count' ? lendingKeys.userCount(match[1] as string) : lendingKeys.userBooks(match[1] as string);
  match = /^lending:request:([^:]+):reserved$/.exec(key);
  if (match) return lendingKeys.reserved(match[1] as string);
  match = /^lending:request:([^:]+)$/.exec(key);
  if (match) return lendingKeys.outcome(match[1] as string);
  match = /^lending:idempotency:([^:]+):(.+)$/.exec(key);
  if (match) return lendingKeys.idempotency(match[1] as string, match[2] as string);
  // A return's temporary set never outlived its script; one left by a crash is dropped.
  return null;
}

/** Copies one key under its new name (unless that exists already), with its expiry. Not RENAME: on a cluster the names are in different slots. */
async function copyKey(redis: RedisClient, from: string, to: string): Promise<void> {
  if (Number(await redis.sendCommand(['EXISTS', to])) === 1) return;
  const type = String(await redis.sendCommand(['TYPE', from]));
  if (type === 'string') await redis.sendCommand(['SET', to, String(await redis.sendCommand(['GET', from]))]);
  else if (type === 'hash') await redis.sendCommand(['HSET', to, ...(await redis.sendCommand<string[]>(['HGETALL', from]))]);
  else if (type === 'set') await redis.sendCommand(['SADD', to, ...(await redis.sendCommand<string[]>(['SMEMBERS', from]))]);
  else throw new Error(`lending: ${from} is a ${type}, not a key of lending's old layout`);
  const ttl = Number(await redis.sendCommand(['PTTL', from]));
  if (ttl > 0) await redis.sendCommand(['PEXPIRE', to, String(ttl)]);
}

/**
 * Moves lending's keys from their names before Redis Cluster support
 * (keys.ts, `legacyLendingKeys`) to the new ones, once, at start, before the
 * consumer runs: the lent books, the users' counts and books, the
 * reservations and outcomes of requests, the Idempotency-Key records. Each
 * key is copied under its new name and then deleted, so a start that dies
 * halfway finds the copies made and only deletes the rest. Returns how many
 * keys it moved.
 */
export async function adoptLegacyLayout(redis: RedisClient): Promise<number> {
  let moved = 0;
  for (const pattern of [legacyLendingKeys.lent(), ...legacyLendingKeys.patterns]) {
    for await (const keys of scanKeys(redis, pattern)) {
      for (const key of keys) {
        const to = renamed(key);
        if (to) await copyKey(redis, key, to);
        await redis.sendCommand(['DEL', key]);
        moved += to ? 1 : 0;
      }
    }
  }
  return moved;
}
