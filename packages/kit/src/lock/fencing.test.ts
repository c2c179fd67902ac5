import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { startRedisServer, waitFor, type RedisServer } from '../testing/index.ts';
import { createFencedStore } from './fenced.ts';
import { lockKeys } from './keys.ts';
import { createLocks } from './locks.ts';

let server: RedisServer;
let redisA: RedisClient;
let redisB: RedisClient;
beforeAll(async () => {
  server = await startRedisServer();
  // Two holders, two connections: as two processes would be.
  [redisA, redisB] = await Promise.all([connectRedis(server.url), connectRedis(server.url)]);
});
afterAll(async () => {
  await Promise.all([redisA.close(), redisB.close()]);
  await server.stop();
});

const PREFIX = 'test:lock';

describe('fencing tokens', () => {
  it('a holder paused past its expiry cannot overwrite the next holder: its late write is refused', async () => {
    const name = randomUUID();
    const resource = `report:${randomUUID()}`;
    const storeA = createFencedStore({ redis: redisA, prefix: `${PREFIX}:fenced` });
    const storeB = createFencedStore({ redis: redisB, prefix: `${PREFIX}:fenced` });

    const a = await createLocks({ redis: redisA, prefix: PREFIX }).acquire(name, { ttlMs: 200 });
    expect(a?.token).toBe(1);
    // A "pauses" (a GC pause, a stalled VM): it neither extends nor writes until its lease is gone.
    await waitFor(async () => (await redisB.exists(lockKeys(PREFIX, name).lock)) === 0, { description: "A's lease expired" });

    const b = await createLocks({ redis: redisB, prefix: PREFIX }).acquire(name, { ttlMs: 60_000 });
    expect(b?.token).toBe(2);
    expect(await storeB.write(resource, b?.token ?? 0, 'written by B')).toEqual({ applied: true, token: 2 });

    // A wakes up and, believing it still holds the lock, writes with its old token.
    expect(await storeA.write(resource, a?.token ?? 0, 'late write by A')).toEqual({ applied: false, highestToken: 2 });
    expect(await storeA.read(resource)).toEqual({ value: 'written by B', token: 2 });
    // Nor can A touch B's lock.
    expect(await a?.extend()).toBe(false);
    expect(await a?.release()).toBe(false);
    expect(await b?.release()).toBe(true);
  });

  it('the same token may write again; a higher one always may; a bad token is refused before any write', async () => {
    const store = createFencedStore({ redis: redisA, prefix: `${PREFIX}:fenced` });
    const resource = randomUUID();
    expect(await store.read(resource)).toBeNull();
    expect(await store.write(resource, 3, 'one')).toEqual({ applied: true, token: 3 });
    expect(await store.write(resource, 3, 'two')).toEqual({ applied: true, token: 3 });
    expect(await store.write(resource, 7, 'three')).toEqual({ applied: true, token: 7 });
    expect(await store.write(resource, 6, 'stale')).toEqual({ applied: false, highestToken: 7 });
    await expect(store.write(resource, 0, 'zero')).rejects.toThrow(/token/);
    await expect(store.write(resource, 2.5, 'half')).rejects.toThrow(/token/);
    expect(await store.read(resource)).toEqual({ value: 'three', token: 7 });
  });
});
