import { Type } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
import { connectRedis, type RedisClient } from '../redis/client.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createPubSubPublisher, createPubSubSubscriber, defineChannel, type PubSubReport, type PubSubSubscriber } from './index.ts';
import { startRedisServer, type RedisServer } from '../testing/redis-server.ts';
import { useRedis } from '../testing/vitest.ts';

const priceChanged = defineChannel(
  'shop:test:price-changed',
  Type.Object({ productId: Type.String({ minLength: 1 }), priceCents: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
);

const env = useRedis();
let subscribers: PubSubSubscriber[] = [];
const extraClients: RedisClient[] = [];

afterEach(async () => {
  await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  subscribers = [];
});
afterAll(async () => {
  await Promise.all(extraClients.filter((client) => client.isOpen).map((client) => client.close()));
});

function track(subscriber: PubSubSubscriber): PubSubSubscriber {
  subscribers.push(subscriber);
  return subscriber;
}

async function metric(registry: Registry, outcome: string): Promise<number> {
  const values = (await registry.getSingleMetric('tributary_pubsub_messages_total')?.get())?.values ?? [];
  return values.filter((value) => value.labels.outcome === outcome).reduce((sum, value) => sum + value.value, 0);
}

describe('pub/sub notifications', () => {
  it('delivers typed messages to every subscriber connected at the time, and counts them', async () => {
    const registry = new Registry();
    const publisher = createPubSubPublisher({ redis: env.redis, registry });
    const seen: Array<[string, unknown]> = [];
    const a = track(createPubSubSubscriber({ redis: env.redis, registry }));
    const b = track(createPubSubSubscriber({ redis: env.redis, registry }));
    await a.subscribe(priceChanged, (message, channel) => void seen.push(['a', { channel, ...message }]));
    await a.start();
    await b.start();
    await b.subscribe(priceChanged, (message) => void seen.push(['b', message]));

    expect(await publisher.publish(priceChanged, { productId: 'p1', priceCents: 250 })).toBe(2);
    await waitFor(() => seen.length === 2, { timeoutMs: 5_000 });
    expect(seen).toContainEqual(['a', { channel: priceChanged.name, productId: 'p1', priceCents: 250 }]);
    expect(seen).toContainEqual(['b', { productId: 'p1', priceCents: 250 }]);
    expect(await metric(registry, 'published')).toBe(1);
    expect(await metric(registry, 'received')).toBe(2);
  });

  it('drops invalid messages and survives failing handlers, counting both', async () => {
    const registry = new Registry();
    const reports: PubSubReport[] = [];
    const subscriber = track(createPubSubSubscriber({ redis: env.redis, registry, onReport: (report) => reports.push(report) }));
    const seen: unknown[] = [];
    await subscriber.subscribe(priceChanged, (message) => {
      if (message.productId === 'throws') throw new Error('sync failure');
      if (message.productId === 'rejects') return Promise.reject(new Error('async failure'));
      seen.push(message);
    });
    await subscriber.start();

    // Raw PUBLISH, as any other client (or a buggy one) could send.
    for (const raw of ['not json', '{"productId":"p1"}', '{"productId":"p1","priceCents":-5}', '[]']) {
      expect(await env.redis.publish(priceChanged.name, raw)).toBe(1);
    }
    const publisher = createPubSubPublisher({ redis: env.redis });
    await publisher.publish(priceChanged, { productId: 'throws', priceCents: 1 });
    await publisher.publish(priceChanged, { productId: 'rejects', priceCents: 1 });
    await publisher.publish(priceChanged, { productId: 'p2', priceCents: 3 });

    await waitFor(() => seen.length === 1 && subscriber.counts().failed === 2, { timeoutMs: 5_000 });
    expect(seen).toEqual([{ productId: 'p2', priceCents: 3 }]);
    expect(subscriber.counts()).toEqual({ received: 7, invalid: 4, failed: 2 });
    expect(await metric(registry, 'invalid')).toBe(4);
    expect(await metric(registry, 'failed')).toBe(2);
    expect(reports.filter((report) => report.kind === 'invalid').map((report) => report.kind === 'invalid' && report.reason)).toEqual([
      'not JSON',
      expect.stringContaining('priceCents'),
      expect.stringContaining('priceCents'),
      expect.any(String),
    ]);
  });

  it('refuses to publish an invalid message', async () => {
    const publisher = createPubSubPublisher({ redis: env.redis });
    const seen: unknown[] = [];
    const subscriber = track(createPubSubSubscriber({ redis: env.redis }));
    await subscriber.subscribe(priceChanged, (message) => void seen.push(message));
    await subscriber.start();
    const bad = { productId: '', priceCents: 1 };
    await expect(publisher.publish(priceChanged, bad)).rejects.toBeInstanceOf(TributaryError);
    await publisher.publish(priceChanged, { productId: 'ok', priceCents: 1 });
    await waitFor(() => seen.length === 1, { timeoutMs: 5_000 });
    expect(subscriber.counts().received).toBe(1);
  });

  it('stops delivering after unsubscribe and close', async () => {
    const subscriber = track(createPubSubSubscriber({ redis: env.redis }));
    await subscriber.start();
    const seen: unknown[] = [];
    const unsubscribe = await subscriber.subscribe(priceChanged, (message) => void seen.push(message));
    const publisher = createPubSubPublisher({ redis: env.redis });
    expect(await publisher.publish(priceChanged, { productId: 'p1', priceCents: 1 })).toBe(1);
    await waitFor(() => seen.length === 1, { timeoutMs: 5_000 });
    await unsubscribe();
    expect(await publisher.publish(priceChanged, { productId: 'p2', priceCents: 1 })).toBe(0);
    await subscriber.close();
    expect(await env.redis.sendCommand(['PUBSUB', 'NUMSUB', priceChanged.name])).toEqual([priceChanged.name, 0]);
  });

  it('resubscribes after its connection is killed', async () => {
    const reports: PubSubReport[] = [];
    const subscriber = track(createPubSubSubscriber({ redis: env.redis, onReport: (report) => reports.push(report) }));
    const seen: unknown[] = [];
    let resubscribed = 0;
    subscriber.onResubscribed(() => resubscribed++);
    await subscriber.subscribe(priceChanged, (message) => void seen.push(message));
    await subscriber.start();

    expect(Number(await env.redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))).toBe(1);
    await waitFor(() => resubscribed === 1, { timeoutMs: 10_000, description: 'resubscribed' });
    expect(reports.some((report) => report.kind === 'resubscribed')).toBe(true);
    const publisher = createPubSubPublisher({ redis: env.redis });
    expect(await publisher.publish(priceChanged, { productId: 'after', priceCents: 1 })).toBe(1);
    await waitFor(() => seen.length === 1, { timeoutMs: 5_000 });
  });
});

describe('pub/sub across a Redis restart', () => {
  let own: RedisServer;
  afterAll(async () => {
    await own?.stop();
  });

  it('drops messages while Redis is down and resubscribes once it is back', async () => {
    own = await startRedisServer();
    const publisherClient = await connectRedis(own.url);
    const subscriberBase = await connectRedis(own.url);
    extraClients.push(publisherClient, subscriberBase);
    const registry = new Registry();
    const publisher = createPubSubPublisher({ redis: publisherClient, registry });
    const subscriber = track(createPubSubSubscriber({ redis: subscriberBase }));
    const seen: Array<{ productId: string }> = [];
    let resubscribed = 0;
    subscriber.onResubscribed(() => resubscribed++);
    await subscriber.subscribe(priceChanged, (message) => void seen.push(message));
    await subscriber.start();
    expect(await publisher.publish(priceChanged, { productId: 'before', priceCents: 1 })).toBe(1);
    await waitFor(() => seen.length === 1, { timeoutMs: 5_000 });

    await own.kill();
    await waitFor(() => !publisherClient.isReady, { timeoutMs: 10_000, description: 'publisher notices the outage' });
    // Fire-and-forget: not queued for later, not an error.
    expect(await publisher.publish(priceChanged, { productId: 'lost', priceCents: 1 })).toBe(0);
    expect(await metric(registry, 'dropped')).toBe(1);

    own = await own.restart();
    await waitFor(() => resubscribed === 1 && publisherClient.isReady, { timeoutMs: 20_000, description: 'resubscribed after restart' });
    expect(await publisher.publish(priceChanged, { productId: 'after', priceCents: 1 })).toBe(1);
    await waitFor(() => seen.length === 2, { timeoutMs: 5_000 });
    expect(seen.map((message) => message.productId)).toEqual(['before', 'after']);
  });
});
