import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { createPubSubPublisher, createPubSubSubscriber, defineChannel } from '../pubsub/index.ts';
import { createConsumer } from '../streams/consumer.ts';
import { createPublisher } from '../streams/publisher.ts';
import { orderPlaced } from '../streams/test-fixtures/harness-events.ts';
import { askRedis, SENTINEL_MASTER_NAME, startSentinel, startSentinelGroup } from '../testing/redis-sentinel.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { connectRedis, redactUrl, type RedisClient } from './client.ts';
import { readServiceConfig } from '../service/config.ts';
import { formatSentinelUrl, parseSentinelUrl } from './sentinel.ts';

describe('redis+sentinel:// URLs', () => {
  it('parse into Sentinels, master name, credentials and database', () => {
    expect(parseSentinelUrl('redis+sentinel://app:s%40cret@10.0.0.1:26379,[::1]:26380/mymaster/2')).toEqual({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }],
      masterName: 'mymaster',
      username: 'app',
      password: 's@cret',
      database: 2,
    });
    expect(parseSentinelUrl('redis+sentinel://:pw@h:1/m')).toMatchObject({ password: 'pw', masterName: 'm' });
    expect(() => parseSentinelUrl('redis+sentinel://h:1')).toThrow(/master-name/);
    expect(() => parseSentinelUrl('redis+sentinel://h:99999/m')).toThrow(/expected host:port/);
    const url = 'redis+sentinel://app:s%40cret@10.0.0.1:26379,[::1]:26380/mymaster/2';
    expect(formatSentinelUrl(parseSentinelUrl(url))).toBe(url);
    expect(redactUrl('redis+sentinel://app:secret@h:1,h:2/m')).toBe('redis+sentinel://app:***@h:1,h:2/m');
  });
});

describe('Sentinels that want a password', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('are asked with REDIS_SENTINEL_PASSWORD (requirepass) or REDIS_SENTINEL_USERNAME too (an ACL user); without, connecting fails saying so', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-sentinel-auth-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const primary = await startRedisServer({ password: 'data-secret' });
    cleanup.push(() => primary.stop());
    const sentinel = await startSentinel(dir, primary.port, {
      quorum: 1,
      password: 'sentinel-secret',
      lines: ['sentinel auth-pass mymaster data-secret', 'requirepass sentinel-secret', 'user watcher on >watcher-secret +@all'],
    });
    cleanup.push(() => sentinel.kill());
    const url = `redis+sentinel://:data-secret@127.0.0.1:${sentinel.port}/mymaster`;

    const env = { BUS_REDIS_URL: url, REDIS_SENTINEL_PASSWORD: 'sentinel-secret' };
    const config = readServiceConfig('basket', env);
    expect(config.busSentinelAuth).toEqual({ password: 'sentinel-secret' });
    expect(config.storeSentinelAuth).toEqual({ password: 'sentinel-secret' });
    const viaPassword = await connectRedis(url, { failFast: true, sentinelAuth: config.busSentinelAuth });
    cleanup.push(async () => viaPassword.destroy());
    expect(await viaPassword.sendCommand(['CONFIG', 'GET', 'port'])).toEqual(['port', String(primary.port)]);

    const asUser = readServiceConfig('basket', { BUS_REDIS_URL: url, BUS_REDIS_SENTINEL_USERNAME: 'watcher', BUS_REDIS_SENTINEL_PASSWORD: 'watcher-secret', REDIS_SENTINEL_PASSWORD: 'other' }).busSentinelAuth;
    expect(asUser).toEqual({ username: 'watcher', password: 'watcher-secret' });
    const viaUser = await connectRedis(url, { failFast: true, sentinelAuth: asUser });
    cleanup.push(async () => viaUser.destroy());
    expect(await viaUser.sendCommand(['PING'])).toBe('PONG');

    const refused = connectRedis(url, { failFast: true });
    await expect(refused).rejects.toMatchObject({ code: 'TRIB_NO_PRIMARY' });
    await expect(refused).rejects.toThrow(/NOAUTH|Authentication required/i);
    await expect(connectRedis(url, { failFast: true, sentinelAuth: { password: 'wrong' } })).rejects.toThrow(/WRONGPASS|invalid/i);
  });
});

describe('a primary found through Sentinel', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('survives kill -9 of the primary: the replica is promoted, the kit follows it, nothing acknowledged is lost or handled twice', { timeout: 90_000 }, async () => {
    const group = await startSentinelGroup();
    cleanup.push(() => group.stop());
    const [primary, replica] = group.servers as [RedisServer, RedisServer];
    const sentinels = group.sentinels;
    const redis: RedisClient = await connectRedis(group.url, { name: 'sentinel-test' });
    cleanup.push(async () => {
      if (redis.isOpen) redis.destroy();
    });
    const service = 'sentinel-shop';
    const placed = orderPlaced(service);
    const publisher = createPublisher({ redis, service });
    // Sentinel replication is asynchronous: an XADD the primary acknowledged
    // can die with it. WAIT 1 after each publish is the acknowledgement that counts here.
    const replicated = createPublisher({ redis, service, waitForReplicas: { count: 1, timeoutMs: 5_000 } });

    // Idempotent handler: the effect happens once per event id, however often it is delivered.
    const effects: string[] = [];
    const seen = new Set<string>();
    const consumer = createConsumer({ redis, stream: publisher.stream, group: 'billing', consumer: 'billing-1', blockMs: 200, claimIdleMs: 1_000, claimIntervalMs: 500, backoffBaseMs: 50, backoffMaxMs: 500 }).on(placed, async (event) => {
      if (seen.has(event.id)) return;
      seen.add(event.id);
      effects.push(event.data.orderId);
    });
    cleanup.push(() => consumer.close());
    await consumer.start();

    // Pub/sub too: the subscriber's own connection is replaced, its channels go with it.
    const pinged = defineChannel('sentinel-shop:ping', Type.Object({ n: Type.Integer() }));
    const pings: number[] = [];
    const subscriber = createPubSubSubscriber({ redis });
    cleanup.push(() => subscriber.close());
    await subscriber.subscribe(pinged, (message) => void pings.push(message.n));
    await subscriber.start();
    const notifier = createPubSubPublisher({ redis });
    await waitFor(async () => (await notifier.publish(pinged, { n: 1 })) === 1, { description: 'subscribed' });

    const before: string[] = [];
    for (let n = 0; n < 200; n++) {
      await replicated.publish(placed, { n, orderId: `before-${n}` });
      before.push(`before-${n}`);
    }

    await primary.kill();
    await waitFor(async () => ((await askRedis(sentinels[0]!.port, ['SENTINEL', 'get-master-addr-by-name', 'mymaster'])) as string[] | null)?.[1] === String(replica.port), {
      timeoutMs: 30_000,
      description: 'replica promoted',
    });
    // The kit's connection moves to the promoted replica by itself.
    await waitFor(async () => (await redis.sendCommand(['CONFIG', 'GET', 'port']) as string[])[1] === String(replica.port), { timeoutMs: 30_000, description: 'kit follows the new primary' });

    // The promoted primary has no replica yet: a publish that asks for one is written but says it is not confirmed.
    await expect(createPublisher({ redis, service, waitForReplicas: { count: 1, timeoutMs: 100 } }).publish(placed, { n: 0, orderId: 'unconfirmed' })).rejects.toMatchObject({ code: 'TRIB_NOT_REPLICATED' });
    await waitFor(async () => (await notifier.publish(pinged, { n: 2 })) === 1, { timeoutMs: 30_000, description: 'subscriber resubscribed on the new primary' });
    await waitFor(() => pings.includes(2), { description: 'notification after failover delivered' });
    const after: string[] = ['unconfirmed'];
    for (let n = 0; n < 50; n++) {
      await publisher.publish(placed, { n, orderId: `after-${n}` });
      after.push(`after-${n}`);
    }
    await waitFor(() => effects.length >= before.length + after.length, { timeoutMs: 30_000, description: 'every acknowledged event handled' });
    expect([...effects].sort()).toEqual([...before, ...after].sort());
    expect(new Set(effects).size).toBe(effects.length);
  });
  it('moves on from a node the Sentinels stopped naming when a reconnect reaches it (the old primary back before its demotion)', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-sentinel-stale-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    let old = await startRedisServer();
    cleanup.push(() => old.stop());
    const named = await startRedisServer();
    cleanup.push(() => named.stop());
    const sentinel = await startSentinel(dir, old.port, { quorum: 1 });
    cleanup.push(() => sentinel.kill());
    let failures = 0;
    let onFailure: (() => void) | null = null;
    const redis: RedisClient = await connectRedis(`redis+sentinel://127.0.0.1:${sentinel.port}/${SENTINEL_MASTER_NAME}`, {
      onError: () => {
        failures++;
        onFailure?.();
      },
    });
    cleanup.push(async () => {
      if (redis.isOpen) redis.destroy();
    });
    const portOf = async () => Number(((await redis.sendCommand(['CONFIG', 'GET', 'port'])) as string[])[1]);
    expect(await portOf()).toBe(old.port);

    await old.kill();
    // Once several attempts have failed, node-redis waits 2 s between them.
    await waitFor(() => failures >= 8, { timeoutMs: 30_000, description: 'reconnect attempts at their longest delay' });
    // Right after a failed attempt, and before the next: the Sentinel names another node, and the old one is back.
    await new Promise<void>((resolve) => {
      onFailure = resolve;
    });
    onFailure = null;
    await askRedis(sentinel.port, ['SENTINEL', 'REMOVE', SENTINEL_MASTER_NAME]);
    await askRedis(sentinel.port, ['SENTINEL', 'MONITOR', SENTINEL_MASTER_NAME, '127.0.0.1', String(named.port), '1']);
    old = await old.restart();
    // Asking the Sentinels only when a connection fails, the client would stay on the old node: the reconnect to it succeeds.
    await waitFor(async () => (await portOf()) === named.port, { timeoutMs: 10_000, description: 'the client on the node the Sentinel names' });
    await redis.sendCommand(['SET', 'written-after-the-switch', 'kept']);
    expect(await askRedis(named.port, ['GET', 'written-after-the-switch'])).toBe('kept');
  });
});
