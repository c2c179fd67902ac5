import type { Registry } from 'prom-client';
import { TributaryError } from '../errors.ts';
import type { RedisClient } from '../redis/client.ts';
import type { Channel, ChannelMessage } from './channel.ts';
import { pubsubCounter } from './metrics.ts';

export interface PubSubPublisherOptions {
  /** Any connection; PUBLISH does not need a dedicated one. */
  redis: RedisClient;
  registry?: Registry;
}

export interface PubSubPublisher {
  /**
   * Validates and publishes; resolves with the number of subscribers that
   * received it. While the connection is down the message is dropped (0):
   * queueing it would make a notification late, and a late notification is
   * worse than none.
   */
  publish<C extends Channel>(channel: C, message: ChannelMessage<C>): Promise<number>;
}

export function createPubSubPublisher(options: PubSubPublisherOptions): PubSubPublisher {
  const { redis } = options;
  const count = pubsubCounter(options.registry);
  return {
    async publish(channel, message) {
      const problem = channel.validate(message);
      if (problem) throw new TributaryError('TRIB_INVALID_MESSAGE', `pub/sub message on ${channel.name}: ${problem}`);
      if (!redis.isReady) {
        count(channel.name, 'dropped');
        return 0;
      }
      const receivers = await redis.publish(channel.name, JSON.stringify(message));
      count(channel.name, 'published');
      return Number(receivers);
    },
  };
}
