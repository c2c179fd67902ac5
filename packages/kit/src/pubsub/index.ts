/**
 * Fire-and-forget notifications over Redis pub/sub. A message reaches only
 * the subscribers connected at that moment and is never stored: use it for
 * hints (drop a cached copy, refresh a dashboard), never for anything that
 * must happen. Durable events are `createPublisher` / `createConsumer`.
 */
export { defineChannel, type Channel, type ChannelMessage } from './channel.ts';
export { createPubSubPublisher, type PubSubPublisher, type PubSubPublisherOptions } from './publisher.ts';
export {
  createPubSubSubscriber,
  type MessageHandler,
  type PubSubReport,
  type PubSubSubscriber,
  type PubSubSubscriberOptions,
} from './subscriber.ts';
