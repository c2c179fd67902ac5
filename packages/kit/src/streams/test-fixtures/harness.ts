import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { connectRedis, type RedisClient } from '../../redis/client.ts';
import { startRedisServer, type RedisServer } from '../../testing/redis-server.ts';
import type { Consumer } from '../consumer.ts';
export { orderPlaced } from './harness-events.ts';

export interface TestRedis {
  server: RedisServer;
  redis: RedisClient;
  /** Another client on the same server; closed in afterAll. */
  connect(name?: string): Promise<RedisClient>;
  /** Registers a consumer to be closed after the current test. */
  track<C extends Consumer>(consumer: C): C;
}

/**
 * Starts a private redis-server for the test file (beforeAll) and stops it
 * (afterAll). Consumers registered with `track` are closed after each test,
 * so a failing test does not leave a loop polling a dead server.
 */
export function useRedis(): TestRedis {
  const clients: RedisClient[] = [];
  let consumers: Consumer[] = [];
  const state = {} as TestRedis;
  state.connect = async (name?: string) => {
    const client = await connectRedis(state.server.url, name ? { name } : {});
    clients.push(client);
    return client;
  };
  state.track = (consumer) => {
    consumers.push(consumer);
    return consumer;
  };
  beforeAll(async () => {
    state.server = await startRedisServer();
    state.redis = await state.connect();
  });
  afterEach(async () => {
    const closing = consumers;
    consumers = [];
    await Promise.all(closing.map((consumer) => consumer.close()));
  });
  afterAll(async () => {
    await Promise.all(clients.filter((client) => client.isOpen).map((client) => client.close()));
    await state.server?.stop();
  });
  return state;
}

/** A service name no other test uses, so its stream `<name>:events` is fresh. */
export function uniqueService(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function xlen(redis: RedisClient, stream: string): Promise<number> {
  return Number(await redis.sendCommand(['XLEN', stream]));
}

/** The number of entries pending (delivered, not acked) in a group. */
export async function pendingCount(redis: RedisClient, stream: string, group: string): Promise<number> {
  const reply = await redis.sendCommand<[number, ...unknown[]]>(['XPENDING', stream, group]);
  return Number(reply[0]);
}

/** Pending entries of a group as [entry id, consumer, delivery count]. */
export async function pendingEntries(redis: RedisClient, stream: string, group: string): Promise<Array<{ id: string; consumer: string; deliveries: number }>> {
  const reply = await redis.sendCommand<Array<[string, string, number, number]>>(['XPENDING', stream, group, '-', '+', '10000']);
  return reply.map(([id, consumer, , deliveries]) => ({ id, consumer, deliveries: Number(deliveries) }));
}

/** A promise with its resolver, for handlers that must wait for the test. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Resolves with `promise`, or rejects once `timeoutMs` passes (a deadline, not a sleep). */
export async function within<T>(promise: Promise<T>, timeoutMs: number, description: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
