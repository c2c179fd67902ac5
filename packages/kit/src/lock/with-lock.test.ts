import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../redis/client.ts';
import { waitFor } from '../testing/index.ts';
import { LockLostError, LockTimeoutError } from './errors.ts';
import { lockKeys } from './keys.ts';
import { createLocks } from './locks.ts';
import { useRedis } from '../testing/vitest.ts';

const env = useRedis();

const PREFIX = 'test:lock';

describe('withLock', () => {
  it('hands fn the token and releases after it, also when fn throws', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    expect(await locks.withLock(name, async ({ token, signal }) => ({ token, aborted: signal.aborted }), { ttlMs: 5_000 })).toEqual({ token: 1, aborted: false });
    expect(await env.redis.exists(lockKeys(PREFIX, name).lock)).toBe(0);
    await expect(locks.withLock(name, async () => { throw new Error('job failed'); }, { ttlMs: 5_000 })).rejects.toThrow('job failed');
    expect(await env.redis.exists(lockKeys(PREFIX, name).lock)).toBe(0);
  });

  it('rejects with LockTimeoutError when the lock stays held for waitMs', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    const holder = await locks.acquire(name, { ttlMs: 60_000 });
    let ran = false;
    const attempt = locks.withLock(name, async () => { ran = true; }, { ttlMs: 1_000, waitMs: 150 });
    await expect(attempt).rejects.toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(false);
    expect(await holder?.release()).toBe(true);
  });

  it('the watchdog keeps the lock alive while fn outlives its ttl', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const other = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    const key = lockKeys(PREFIX, name).lock;
    const ttlMs = 300;
    await locks.withLock(name, async ({ signal, token }) => {
      const held = await env.redis.get(key);
      expect(held?.startsWith(`${token}:`)).toBe(true);
      // A witness key with three times the lock's ttl, set now: once Redis has
      // expired it, the lock would have expired too, had nobody renewed it.
      const witness = `${PREFIX}:witness:${randomUUID()}`;
      await env.redis.set(witness, '1', { PX: 3 * ttlMs });
      await waitFor(async () => (await env.redis.exists(witness)) === 0, { description: 'three ttls passed' });
      expect(await env.redis.get(key)).toBe(held);
      expect(await other.acquire(name, { ttlMs: 1_000 })).toBeNull();
      expect(signal.aborted).toBe(false);
    }, { ttlMs, renewEveryMs: 50 });
  });

  it('aborts fn via its signal when the lock is taken from it, and rejects with LockLostError', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const thief = createLocks({ redis: env.redis, prefix: PREFIX });
    const name = randomUUID();
    let reasonSeen: unknown;
    const work = locks.withLock(name, async ({ signal }) => {
      // Simulates the expiry the watchdog could not prevent, and a new holder.
      await env.redis.del(lockKeys(PREFIX, name).lock);
      const stolen = await thief.acquire(name, { ttlMs: 60_000 });
      expect(stolen?.token).toBe(2);
      await waitFor(() => signal.aborted, { description: 'the watchdog noticed' });
      reasonSeen = signal.reason;
      return 'finished anyway';
    }, { ttlMs: 5_000, renewEveryMs: 25 });
    await expect(work).rejects.toBeInstanceOf(LockLostError);
    expect(reasonSeen).toMatchObject({ code: 'LOCK_LOST', reason: 'taken' });
    // The loser's release did not free the thief's lock.
    expect((await env.redis.get(lockKeys(PREFIX, name).lock))?.startsWith('2:')).toBe(true);
  });

  it('aborts with reason "expired" when no renewal reaches Redis before the lease runs out', async () => {
    const locks = createLocks({ redis: env.redis, prefix: PREFIX });
    const admin = await connectRedis(env.server.url);
    const name = randomUUID();
    try {
      const work = locks.withLock(name, async ({ signal }) => {
        // Redis holds every write (the renewals) for far longer than the ttl.
        await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'WRITE']);
        await waitFor(() => signal.aborted, { description: 'the lease ran out' });
        await admin.sendCommand(['CLIENT', 'UNPAUSE']);
        throw signal.reason;
      }, { ttlMs: 300, renewEveryMs: 50 });
      await expect(work).rejects.toMatchObject({ code: 'LOCK_LOST', reason: 'expired' });
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
      await admin.close();
    }
  });
});
