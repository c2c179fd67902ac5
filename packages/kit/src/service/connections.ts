import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { connectRedis, redactUrl, type RedisClient } from '../redis/client.ts';
import { startTrimmer } from '../streams/trimmer.ts';
import { redisOptionsOf, type ServiceConfig } from './config.ts';

export interface ServiceRedis {
  /** Streams only: the service publishes to its own stream and reads others'. */
  bus: RedisClient;
  /** The service's own data, under its key prefix. */
  store: RedisClient;
  close(): Promise<void>;
}

/**
 * Connects a service to its bus and store Redis, named for CLIENT LIST and
 * logging errors with the password redacted. One server for both works (the
 * store defaults to the bus) but defeats the book's chapter 1 point, so it is
 * said once at start-up.
 */
export async function connectServiceRedis(
  config: ServiceConfig,
  logger: Logger,
  options: { storeHolds: string },
): Promise<ServiceRedis> {
  const connect = (role: 'bus' | 'store', url: string) =>
    connectRedis(url, {
      name: `${config.service}:${config.instance}:${role}`,
      ...redisOptionsOf(config, role),
      onError: (error) => logger.warn({ err: error, redis: role, at: redactUrl(url) }, 'redis connection error'),
    });
  const bus = await connect('bus', config.busRedisUrl);
  let store: RedisClient;
  try {
    store = await connect('store', config.storeRedisUrl);
  } catch (error) {
    await bus.close();
    throw error;
  }
  logger.info({ bus: redactUrl(config.busRedisUrl), store: redactUrl(config.storeRedisUrl) }, 'connected to Redis');
  if (config.storeRedisUrl === config.busRedisUrl) {
    logger.warn(`STORE_REDIS_URL is not set: ${options.storeHolds} share the bus Redis (fine for a demo, not for production)`);
  }
  return {
    bus,
    store,
    async close() {
      await Promise.allSettled([bus.close(), store.close()]);
    },
  };
}

/**
 * Trims the streams a service publishes to (its own) every 10 s: what every
 * group is done with and older than STREAM_RETENTION_MS (see
 * ServiceConfig.streamRetentionMs). Started by each service's main once its
 * app exists, with the app's metrics registry (job "stream-trim").
 */
export function startOwnStreamTrimmer(
  bus: RedisClient,
  streams: readonly string[],
  context: { config: ServiceConfig; logger: Logger; registry: Registry },
): { close(): void } {
  return startTrimmer({
    redis: bus,
    streams: [...streams],
    minAgeMs: context.config.streamRetentionMs,
    // A stream of ours nobody subscribes to (mailing's MailSent) keeps the same window, then goes.
    ungroupedMinAgeMs: context.config.streamRetentionMs,
    registry: context.registry,
    onError: (error) => context.logger.warn({ err: error }, 'stream trim failed; will retry'),
  });
}

/**
 * The tail every Redis-backed service's main shares: listen where the config
 * says, trim the service's own streams, and on close stop the trimmer, then
 * the service, then its connections (`disconnect`).
 */
export async function serveService(
  service: {
    app: { listen(options: { host: string; port: number }): Promise<string>; metricsRegistry: Registry };
    close(): Promise<unknown>;
  },
  context: { bus: RedisClient; streams: readonly string[]; config: ServiceConfig; logger: Logger; disconnect(): Promise<unknown> },
): Promise<{ address: string; close(): Promise<void> }> {
  const { bus, streams, config, logger, disconnect } = context;
  const address = await service.app.listen({ host: config.host, port: config.port });
  const trimmer = startOwnStreamTrimmer(bus, streams, { config, logger, registry: service.app.metricsRegistry });
  return {
    address,
    async close() {
      trimmer.close();
      await service.close();
      await disconnect();
    },
  };
}
