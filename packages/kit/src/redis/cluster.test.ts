import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { createPubSubPublisher, createPubSubSubscriber, defineChannel } from '../pubsub/index.ts';
import { countDeadLetters, createConsumer, createPublisher, defineEvent, listDeadLetters, replayDeadLetters, streamKeys } from '../streams/index.ts';
import { startRedisCluster, type RedisCluster } from '../testing/redis-cluster.ts';
import { generateTlsCertificates, type TlsCertificates } from '../testing/tls-certificates.ts';
import { waitFor } from '../testing/wait-for.ts';
import { clientForKey, confirmReplicated, connectRedis, forEachNode, nodeClients, redactUrl, type RedisClient } from './client.ts';
import { keySlot, parseClusterUrl, routingKey } from './cluster.ts';

describe('redis+cluster:// URLs', () => {
  it('parses seed nodes and credentials', () => {
    expect(parseClusterUrl('redis+cluster://svc:p%40ss@10.0.0.1:7000,[::1]:7001')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      username: 'svc',
      password: 'p@ss',
    });
  });

  it('refuses a database number and a node without a port, without echoing the password', () => {
    expect(() => parseClusterUrl('redis+cluster://u:secret@h:7000/2')).toThrow(/no database number/);
    expect(() => parseClusterUrl('redis+cluster://u:secret@h:7000,h2')).toThrow(/"h2", expected host:port/);
    try {
      parseClusterUrl('redis+cluster://u:secret@h:7000/2');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('redacts the password for logs', () => {
    expect(redactUrl('redis+cluster://svc:hunter2@h:7000,h:7001')).toBe('redis+cluster://svc:***@h:7000,h:7001');
  });

  it('routes each command shape by its key', () => {
    expect(routingKey(['XADD', 'ordering:events', '*', 'f', 'v'])).toBe('ordering:events');
    expect(routingKey(['XGROUP', 'CREATE', 's', 'g', '$'])).toBe('s');
    expect(routingKey(['XINFO', 'GROUPS', 's'])).toBe('s');
    expect(routingKey(['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '10', 'BLOCK', '5', 'STREAMS', 's', '>'])).toBe('s');
    expect(routingKey(['EVALSHA', 'abc', '2', 'k1', 'k2', 'arg'])).toBe('k1');
    expect(routingKey(['EVAL', 'return 1', '0'])).toBeUndefined();
    expect(routingKey(['PING'])).toBeUndefined();
    expect(routingKey(['WAIT', '1', '100'])).toBeUndefined();
  });

  it('computes slots as Redis does, hash tags included', () => {
    // Values from the Redis Cluster specification's examples and CLUSTER KEYSLOT.
    expect(keySlot('123456789')).toBe(12_739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});

describe('a kit client on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = await connectRedis(cluster.url, { name: 'cluster-test' });
  }, 60_000);

  afterAll(async () => {
    await redis?.close();
    await cluster?.stop();
  });

  it('agrees with the server on every slot', async () => {
    for (const key of ['a', 'ordering:events', '{ordering}:events:dead', 'x'.repeat(300)]) {
      expect(Number(await redis.sendCommand(['CLUSTER', 'KEYSLOT', key]))).toBe(keySlot(key));
    }
  });

  it('sends raw and typed commands to the node of each key, across all three masters', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `cluster-key-${i}`);
    for (const key of keys) await redis.sendCommand(['SET', key, key.toUpperCase()]);
    for (const key of keys) expect(await redis.get(key)).toBe(key.toUpperCase());
    const owners = new Set<string>();
    for (const node of cluster.nodes) {
      const direct = await connectRedis(node.url);
      try {
        if (Number(await direct.sendCommand(['DBSIZE'])) > 0) owners.add(node.url);
      } finally {
        await direct.close();
      }
    }
    expect(owners.size).toBe(3);
  });

  it('runs a transaction whose keys share a hash tag, and refuses one across slots', async () => {
    const replies = await redis.multi().addCommand(['SET', '{tx}:a', '1']).addCommand(['INCR', '{tx}:b']).exec();
    expect(replies).toEqual(['OK', 1]);
    // Refused before anything is sent, naming two keys of different slots; nothing is written.
    await expect(redis.multi().addCommand(['SET', 'tx-a', '1']).addCommand(['SET', 'tx-zz', '1']).exec()).rejects.toMatchObject({ code: 'TRIB_CROSSSLOT', message: expect.stringContaining('tx-a and tx-zz') });
    expect(await redis.sendCommand(['EXISTS', 'tx-a'])).toBe(0);
  });

  it('refuses a whole-keyspace command clearly instead of answering for one node', async () => {
    await expect(redis.sendCommand(['SCAN', '0'])).rejects.toMatchObject({ code: 'TRIB_NOT_ON_CLUSTER' });
  });

  it('publishes and consumes through the kit: validated, handled once, acked', async () => {
    const Placed = defineEvent({ source: 'clustered', type: 'ClusterOrderPlaced', schema: Type.Object({ n: Type.Integer() }) });
    const publisher = createPublisher({ redis, service: 'clustered' });
    const seen: number[] = [];
    const consumer = createConsumer({ redis, stream: publisher.stream, group: 'cluster-test', consumer: 'c-1', batchSize: 50, blockMs: 100 }).on(Placed, async (event) => {
      seen.push(event.data.n);
    });
    await consumer.start();
    try {
      for (let n = 0; n < 200; n += 20) {
        await publisher.publishEnvelopes(Array.from({ length: 20 }, (_, i) => publisher.envelope(Placed, { n: n + i })));
      }
      await waitFor(() => seen.length >= 200, { timeoutMs: 20_000, description: '200 events handled' });
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await waitFor(async () => Number((await redis.sendCommand<[number]>(['XPENDING', publisher.stream, 'cluster-test']))[0]) === 0, {
        timeoutMs: 10_000,
        description: 'every entry acked',
      });
    } finally {
      await consumer.close();
    }
  });

  it('dead-letters a failing entry and acks it in one transaction, and replays it, on the stream\'s own slot', async () => {
    const Charged = defineEvent({ source: 'clustered-dlq', type: 'ClusterCardCharged', schema: Type.Object({ n: Type.Integer() }) });
    const publisher = createPublisher({ redis, service: 'clustered-dlq' });
    expect(keySlot(streamKeys.deadLetters(publisher.stream))).toBe(keySlot(publisher.stream));
    let failing = true;
    const handled: number[] = [];
    const consumer = createConsumer({
      redis, stream: publisher.stream, group: 'billing', consumer: 'b-1', blockMs: 100, maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 20,
    }).on(Charged, async (event) => {
      if (event.data.n === 2 && failing) throw new Error('card declined');
      handled.push(event.data.n);
    });
    await consumer.start();
    try {
      for (const n of [1, 2, 3]) await publisher.publish(Charged, { n });
      await waitFor(async () => (await countDeadLetters(redis, publisher.stream)) === 1, { timeoutMs: 15_000, description: 'one dead letter' });
      await waitFor(async () => Number((await redis.sendCommand<[number]>(['XPENDING', publisher.stream, 'billing']))[0]) === 0, {
        timeoutMs: 10_000,
        description: 'the failed entry acked',
      });
      expect((await listDeadLetters(redis, publisher.stream))[0]).toMatchObject({ group: 'billing', error: 'card declined', attempts: 2 });
      failing = false;
      await replayDeadLetters(redis, publisher.stream);
      await waitFor(() => handled.includes(2), { timeoutMs: 10_000, description: 'the replayed entry handled' });
      expect([...handled].sort()).toEqual([1, 2, 3]);
      expect(await countDeadLetters(redis, publisher.stream)).toBe(0);
    } finally {
      await consumer.close();
    }
  });

  it('delivers pub/sub notifications through sharded channels, counting every subscriber', async () => {
    const channel = defineChannel('clustered:price-changed', Type.Object({ productId: Type.String() }));
    const seen: string[] = [];
    const subscribers = [createPubSubSubscriber({ redis }), createPubSubSubscriber({ redis })];
    try {
      for (const [i, subscriber] of subscribers.entries()) {
        await subscriber.subscribe(channel, (message) => void seen.push(`${i}:${message.productId}`));
        await subscriber.start();
      }
      expect(await createPubSubPublisher({ redis }).publish(channel, { productId: 'p1' })).toBe(2);
      await waitFor(() => seen.length === 2, { timeoutMs: 10_000, description: 'both subscribers heard it' });
      expect(seen.sort()).toEqual(['0:p1', '1:p1']);
    } finally {
      for (const subscriber of subscribers) await subscriber.close();
    }
  });

  it('says a subscriber was resubscribed when the connection to its channel\'s node was cut, and delivers again', async () => {
    const channel = defineChannel('clustered:stock-changed', Type.Object({ productId: Type.String() }));
    const seen: string[] = [];
    const subscriber = createPubSubSubscriber({ redis });
    let resubscribed = 0;
    subscriber.onResubscribed(() => resubscribed++);
    try {
      await subscriber.subscribe(channel, (message) => void seen.push(message.productId));
      await subscriber.start();
      const publisher = createPubSubPublisher({ redis });
      expect(await publisher.publish(channel, { productId: 'before' })).toBe(1);
      await waitFor(() => seen.includes('before'), { timeoutMs: 10_000, description: 'heard before the cut' });
      expect(resubscribed).toBe(0);
      // The node that holds the channel's slot drops its subscribers' connections.
      const node = await clientForKey(redis, channel.name);
      expect(Number(await node.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))).toBeGreaterThan(0);
      await waitFor(() => resubscribed === 1, { timeoutMs: 15_000, description: 'resubscribed reported' });
      await waitFor(async () => (await publisher.publish(channel, { productId: 'after' })) === 1 && seen.includes('after'), {
        timeoutMs: 10_000,
        description: 'heard after the cut',
      });
    } finally {
      await subscriber.close();
    }
  });
});

describe('a 3-master cluster with a replica per master', () => {
  let cluster: RedisCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1 });
    redis = await connectRedis(cluster.url, { name: 'cluster-replicas-test', waitForReplicas: { count: 1, timeoutMs: 5_000 } });
  }, 90_000);

  afterAll(async () => {
    await redis?.close();
    await cluster?.stop();
  });

  it('reaches every node for what each keeps on its own (ACL users), replicas only when asked', async () => {
    expect(await nodeClients(redis)).toHaveLength(3);
    const role = async (node: RedisClient) => String((await node.sendCommand<unknown[]>(['ROLE']))[0]);
    expect(await forEachNode(redis, role)).toEqual(['master', 'master', 'master']);
    expect((await forEachNode(redis, role, { replicas: true })).sort()).toEqual(['master', 'master', 'master', 'slave', 'slave', 'slave']);
  });

  it('waits for the replica of the node each stream lives on, after publishing to streams on every master', async () => {
    // One stream on each master (slot ranges of redis-cli --cluster create): each publish waits on its own stream's node.
    const services = [0, 1, 2].map((third) => {
      for (let n = 0; ; n++) if (Math.floor(keySlot(streamKeys.events(`replicated-${n}`)) / 5462) === third) return `replicated-${n}`;
    });
    for (const service of services) {
      const publisher = createPublisher({ redis, service });
      const Noted = defineEvent({ source: service, type: 'ReplicatedNote', schema: Type.Object({ n: Type.Integer() }) });
      expect(await publisher.publishEnvelopes([publisher.envelope(Noted, { n: 1 })])).toHaveLength(1);
    }
    // A wait without the key it is for would ask a node picked at random: refused, not guessed.
    await expect(confirmReplicated(redis, 'unrouted writes')).rejects.toMatchObject({ code: 'TRIB_NOT_ON_CLUSTER' });
    // More replicas than the shard has: the writes are on the primary, and the caller is told they are not replicated.
    await expect(confirmReplicated(redis, 'an impossible wait', { wait: { count: 2, timeoutMs: 200 }, key: streamKeys.events(services[0] as string) })).rejects.toMatchObject({ code: 'TRIB_NOT_REPLICATED' });
  });
});

describe('a 3-master cluster that speaks TLS only and wants client certificates (rediss+cluster://)', () => {
  let dir: string;
  let cluster: RedisCluster;
  let certs: TlsCertificates;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-tls-cluster-'));
    certs = await generateTlsCertificates(dir);
    cluster = await startRedisCluster({
      tls: { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCertFile: certs.clientCertFile, clientKeyFile: certs.clientKeyFile },
    });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes and consumes over TLS to every node, with the CA, client certificate and key of the settings', async () => {
    expect(cluster.url).toMatch(/^rediss\+cluster:\/\//);
    const redis = await connectRedis(cluster.url, { tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
    try {
      expect(await forEachNode(redis, async (node) => String(await node.sendCommand(['PING'])))).toEqual(['PONG', 'PONG', 'PONG']);
      const Noted = defineEvent({ source: 'tls-clustered', type: 'TlsNote', schema: Type.Object({ n: Type.Integer() }) });
      const publisher = createPublisher({ redis, service: 'tls-clustered' });
      const seen: number[] = [];
      const consumer = createConsumer({ redis, stream: publisher.stream, group: 'tls-test', consumer: 'c-1', blockMs: 100 }).on(Noted, async (event) => {
        seen.push(event.data.n);
      });
      await consumer.start();
      try {
        await publisher.publishEnvelopes([1, 2, 3].map((n) => publisher.envelope(Noted, { n })));
        await waitFor(() => seen.length === 3, { timeoutMs: 10_000, description: 'three events handled' });
      } finally {
        await consumer.close();
      }
    } finally {
      await redis.close();
    }
    // Without the client certificate every node refuses the handshake.
    await expect(connectRedis(cluster.url, { failFast: true, tls: { caFile: certs.caFile } })).rejects.toThrow();
  });
});
