import { DronePositions } from '@tributary/contracts';
import type { RedisClient } from 'tributary';
import { createPubSubSubscriber, type ChannelMessage, type PubSubSubscriber } from 'tributary/pubsub';
import type { Registry } from 'prom-client';

export type DronePosition = ChannelMessage<typeof DronePositions>;

/**
 * One pub/sub subscription per gateway, fanned out to every browser
 * listening on GET /api/deliveries/live, and only opened once someone
 * listens. Fire and forget by design: a listener that connects late or a
 * message lost in a reconnect is replaced by the next position a moment later.
 */
export interface LivePositions {
  /** Resolves once the subscription is live; the returned function stops listening. */
  listen(listener: (position: DronePosition) => void): Promise<() => void>;
  close(): Promise<void>;
}

export function livePositions(bus: RedisClient, registry: Registry): LivePositions {
  const listeners = new Set<(position: DronePosition) => void>();
  let subscriber: Promise<PubSubSubscriber> | null = null;
  const subscribe = async () => {
    const created = createPubSubSubscriber({ redis: bus, registry });
    await created.subscribe(DronePositions, (position) => {
      for (const listener of listeners) listener(position);
    });
    await created.start();
    return created;
  };
  return {
    async listen(listener) {
      subscriber ??= subscribe().catch((error: unknown) => {
        subscriber = null;
        throw error;
      });
      await subscriber;
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await (await subscriber?.catch(() => null))?.close();
    },
  };
}
