import type { Registry } from 'prom-client';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import type { Channel, ChannelMessage } from './channel.ts';
import { pubsubCounter } from './metrics.ts';

export type PubSubReport =
  | { kind: 'invalid'; channel: string; reason: string }
  | { kind: 'handler-error'; channel: string; error: Error }
  /** The connection came back and every channel is subscribed again; messages sent meanwhile are lost. */
  | { kind: 'resubscribed' }
  | { kind: 'connection-error'; error: Error };

export type MessageHandler<C extends Channel> = (message: ChannelMessage<C>, channel: string) => void | Promise<void>;

export interface PubSubSubscriberOptions {
  /** Duplicated, never used directly: in RESP2 a subscribed connection can run nothing but (P)SUBSCRIBE commands. */
  redis: RedisClient;
  registry?: Registry;
  onReport?: (report: PubSubReport) => void;
}

export interface PubSubSubscriber {
  /** Registers a handler; before start() it is subscribed by start(). Resolves with an unsubscribe function. */
  subscribe<C extends Channel>(channel: C, handler: MessageHandler<C>): Promise<() => Promise<void>>;
  /**
   * Called after every reconnect, once the channels are subscribed again.
   * Whatever was published while the connection was down is gone, so a
   * listener that keeps derived state (an in-process cache) should drop it.
   */
  onResubscribed(listener: () => void): () => void;
  counts(): { received: number; invalid: number; failed: number };
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Subscription {
  channel: Channel;
  handler: (message: unknown, channel: string) => void | Promise<void>;
}

export function createPubSubSubscriber(options: PubSubSubscriberOptions): PubSubSubscriber {
  const report = options.onReport ?? (() => undefined);
  const count = pubsubCounter(options.registry);
  const subscriptions = new Map<string, Set<Subscription>>();
  const resubscribedListeners = new Set<() => void>();
  const counts = { received: 0, invalid: 0, failed: 0 };
  let connection: RedisClient | null = null;
  let state: 'new' | 'started' | 'closed' = 'new';

  function failed(channel: string, caught: unknown) {
    counts.failed++;
    count(channel, 'failed');
    report({ kind: 'handler-error', channel, error: caught instanceof Error ? caught : new Error(String(caught)) });
  }

  // One node-redis listener per channel; it parses once and fans out to our handlers.
  function dispatch(raw: string, channel: string) {
    counts.received++;
    count(channel, 'received');
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      counts.invalid++;
      count(channel, 'invalid');
      report({ kind: 'invalid', channel, reason: 'not JSON' });
      return;
    }
    for (const subscription of subscriptions.get(channel) ?? []) {
      const problem = subscription.channel.validate(message);
      if (problem) {
        counts.invalid++;
        count(channel, 'invalid');
        report({ kind: 'invalid', channel, reason: problem });
        continue;
      }
      // A handler that throws or rejects is reported; it never reaches node-redis's event loop.
      try {
        const result = subscription.handler(message, channel);
        if (result instanceof Promise) result.catch((error: unknown) => failed(channel, error));
      } catch (error) {
        failed(channel, error);
      }
    }
  }

  return {
    async subscribe(channel, handler) {
      if (state === 'closed') throw new TributaryError('TRIB_CONSUMER_STATE', 'subscriber is closed');
      const subscription: Subscription = { channel, handler: handler as Subscription['handler'] };
      let set = subscriptions.get(channel.name);
      if (!set) {
        set = new Set();
        subscriptions.set(channel.name, set);
        if (connection) await connection.subscribe(channel.name, dispatch);
      }
      set.add(subscription);
      return async () => {
        const current = subscriptions.get(channel.name);
        if (!current?.delete(subscription) || current.size > 0) return;
        subscriptions.delete(channel.name);
        if (connection?.isOpen) await connection.unsubscribe(channel.name, dispatch);
      };
    },
    onResubscribed(listener) {
      resubscribedListeners.add(listener);
      return () => resubscribedListeners.delete(listener);
    },
    counts: () => ({ ...counts }),
    async start() {
      if (state !== 'new') throw new TributaryError('TRIB_CONSUMER_STATE', `subscriber is ${state}`);
      state = 'started';
      const client = options.redis.duplicate();
      client.on('error', (error: Error) => report({ kind: 'connection-error', error }));
      // node-redis re-sends SUBSCRIBE for every channel before it emits 'ready' on a new socket.
      let readies = 0;
      client.on('ready', () => {
        if (++readies === 1) return;
        report({ kind: 'resubscribed' });
        for (const listener of resubscribedListeners) listener();
      });
      await client.connect();
      connection = client;
      for (const name of subscriptions.keys()) await client.subscribe(name, dispatch);
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      const client = connection;
      connection = null;
      subscriptions.clear();
      resubscribedListeners.clear();
      await client?.close().catch(() => client.destroy());
    },
  };
}
