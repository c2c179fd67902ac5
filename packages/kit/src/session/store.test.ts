import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { forEachNode } from '../redis/client.ts';
import { waitFor } from '../testing/index.ts';
import { createSessionStore, InvalidSessionDataError } from './store.ts';
import { useRedis } from '../testing/vitest.ts';

const Customer = Type.Object({ userId: Type.String(), name: Type.String() }, { additionalProperties: false });

describe('session store (real Redis)', () => {
  const env = useRedis({ flush: true });
  const store = (options: { ttlSeconds?: number; absoluteTtlSeconds?: number } = {}) =>
    createSessionStore({ redis: env.redis, prefix: 'test:session', schema: Customer, ...options });
  const pttl = async (id: string) => Number(await env.redis.sendCommand(['PTTL', `test:session:${id}`]));

  it('creates a session under a random, unguessable id and reads it back', async () => {
    const sessions = store({ ttlSeconds: 600 });
    const a = await sessions.create({ userId: 'u1', name: 'Ada' });
    const b = await sessions.create({ userId: 'u1', name: 'Ada' });
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    const read = await sessions.get(a.id);
    expect(read?.data).toEqual({ userId: 'u1', name: 'Ada' });
    expect(read?.createdAt.getTime()).toBe(a.createdAt.getTime());
    const hash = await env.redis.hGetAll(`test:session:${a.id}`);
    expect(JSON.parse(hash.data as string)).toEqual({ userId: 'u1', name: 'Ada' });
    expect(Number(hash.createdAt)).toBe(a.createdAt.getTime());
    expect(await pttl(a.id)).toBeGreaterThan(590_000);
  });

  it('slides the expiry forward on every read and touch', async () => {
    const sessions = store({ ttlSeconds: 3_600 });
    const { id } = await sessions.create({ userId: 'u2', name: 'Bo' });
    await env.redis.sendCommand(['PEXPIRE', `test:session:${id}`, '5000']);
    expect(await sessions.get(id)).not.toBeNull();
    expect(await pttl(id)).toBeGreaterThan(3_000_000);
    await env.redis.sendCommand(['PEXPIRE', `test:session:${id}`, '5000']);
    expect(await sessions.touch(id)).toBe(true);
    expect(await pttl(id)).toBeGreaterThan(3_000_000);
  });

  it('expires a session left unused for its idle lifetime', async () => {
    const sessions = store({ ttlSeconds: 1 });
    const { id } = await sessions.create({ userId: 'u3', name: 'Cy' });
    // Polled without reading it: a read would slide the expiry.
    await waitFor(async () => Number(await env.redis.sendCommand(['EXISTS', `test:session:${id}`])) === 0, { timeoutMs: 5_000, description: 'session expired' });
    expect(await sessions.get(id)).toBeNull();
    expect(await sessions.touch(id)).toBe(false);
  });

  it('ends a session at its absolute lifetime however often it is used', async () => {
    const sessions = store({ ttlSeconds: 3_600, absoluteTtlSeconds: 1 });
    const { id } = await sessions.create({ userId: 'u4', name: 'Di' });
    expect(await sessions.get(id)).not.toBeNull();
    expect(await pttl(id)).toBeLessThanOrEqual(1_000);
    await waitFor(async () => (await sessions.get(id)) === null, { timeoutMs: 5_000, intervalMs: 50, description: 'absolute lifetime reached' });
  });

  it('updates a live session, and never resurrects a destroyed one', async () => {
    const sessions = store();
    const { id } = await sessions.create({ userId: 'u5', name: 'Ed' });
    expect(await sessions.update(id, { userId: 'u5', name: 'Eddie' })).toBe(true);
    expect((await sessions.get(id))?.data.name).toBe('Eddie');
    expect(await sessions.destroy(id)).toBe(true);
    expect(await sessions.destroy(id)).toBe(false);
    expect(await sessions.get(id)).toBeNull();
    expect(await sessions.update(id, { userId: 'u5', name: 'Ghost' })).toBe(false);
    expect(Number(await env.redis.sendCommand(['EXISTS', `test:session:${id}`]))).toBe(0);
  });

  it('refuses to store data that does not match the schema', async () => {
    const sessions = store();
    await expect(sessions.create({ userId: 7 } as never)).rejects.toThrow(InvalidSessionDataError);
    const { id } = await sessions.create({ userId: 'u6', name: 'Fi' });
    await expect(sessions.update(id, { userId: 'u6', name: 'Fi', admin: true } as never)).rejects.toThrow(InvalidSessionDataError);
    // Counted on every primary when TRIBUTARY_TEST_REDIS=cluster.
    const perNode = await forEachNode(env.redis, async (node) => Number(await node.sendCommand(['DBSIZE'])));
    expect(perNode.reduce((sum, keys) => sum + keys, 0)).toBe(1);
  });

  it('treats malformed, unknown and corrupt sessions as no session', async () => {
    const sessions = store();
    expect(await sessions.get('')).toBeNull();
    expect(await sessions.get('../../etc')).toBeNull();
    expect(await sessions.get('A'.repeat(43))).toBeNull();
    const { id } = await sessions.create({ userId: 'u7', name: 'Gus' });
    await env.redis.hSet(`test:session:${id}`, 'data', '{"userId": 7}');
    expect(await sessions.get(id)).toBeNull();
    expect(Number(await env.redis.sendCommand(['EXISTS', `test:session:${id}`]))).toBe(0);
    const other = await sessions.create({ userId: 'u8', name: 'Hal' });
    await env.redis.hSet(`test:session:${other.id}`, 'data', 'not json');
    expect(await sessions.get(other.id)).toBeNull();
  });
});
