import { trimmedStreamsOf } from '@tributary/contracts';
import { connectRedis, redactUrl } from 'tributary';
import { runService, serveService, redisOptionsOf } from 'tributary/service';
import { SERVICE, startLending } from './app.ts';
import type { StepHook } from './domain/steps.ts';
import { readCrashStep, readLendingSettings } from './settings.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const settings = readLendingSettings();
  const crashAt = readCrashStep();
  // Only the bus: lending's state lives next to its streams on purpose (one
  // script acks, changes state and publishes; see src/store/keys.ts), so
  // STORE_REDIS_URL is not used.
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${SERVICE}:${config.instance}:bus`,
    ...redisOptionsOf(config, 'bus'),
    onError: (error) => logger.warn({ err: error, redis: 'bus', at: redactUrl(config.busRedisUrl) }, 'redis connection error'),
  });
  let onStep: StepHook | undefined;
  if (crashAt) {
    logger.warn({ step: crashAt }, 'test hook: this process will SIGKILL itself the first time it reaches this step');
    let crashed = false;
    onStep = (step) => {
      if (step !== crashAt || crashed) return;
      crashed = true;
      process.kill(process.pid, 'SIGKILL');
    };
  }
  const service = await startLending({ bus, logger, instance: config.instance, settings, ...(onStep ? { onStep } : {}) }).catch(async (error: unknown) => {
    await bus.close();
    throw error;
  });
  logger.info({ maxBooksPerUser: settings.maxBooksPerUser, storageCapacity: settings.storageCapacity }, 'Ready to process events...');
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect: () => bus.close() });
});
