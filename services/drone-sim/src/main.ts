import { trimmedStreamsOf } from '@tributary/contracts';
import { connectRedis, redactUrl } from 'tributary';
import { runService, startOwnStreamTrimmer, redisOptionsOf } from 'tributary/service';
import { SERVICE, startDroneSim } from './app.ts';
import { readDroneSimConfig } from './config.ts';

// Only the bus: drone-sim keeps nothing (flights live in memory), so it opens
// no store connection and ignores STORE_REDIS_URL / DATABASE_URL.
await runService(SERVICE, async ({ config, logger }) => {
  const sim = readDroneSimConfig();
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${SERVICE}:${config.instance}:bus`,
    ...redisOptionsOf(config, 'bus'),
    onError: (error) => logger.warn({ err: error, bus: redactUrl(config.busRedisUrl) }, 'bus Redis connection error'),
  });
  const running = await startDroneSim({ bus, logger, instance: config.instance, config: sim }).catch(async (error: unknown) => {
    await bus.close();
    throw error;
  });
  logger.info({ fleet: sim }, 'drones ready');
  const address = await running.app.listen({ host: config.host, port: config.port });
  const trimmer = startOwnStreamTrimmer(bus, trimmedStreamsOf(SERVICE), { config, logger, registry: running.app.metricsRegistry });
  return {
    address,
    async close() {
      trimmer.close();
      await running.close();
      await bus.close();
    },
  };
});
