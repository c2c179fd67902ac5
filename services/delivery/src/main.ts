import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, runService, startOwnStreamTrimmer } from 'tributary/service';
import { startDelivery } from './app.ts';
import { readDeliverySettings } from './settings.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const settings = readDeliverySettings();
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'deliveries in flight' });
  const service = await startDelivery({
    bus,
    store,
    logger,
    instance: config.instance,
    retentionSeconds: settings.retentionSeconds,
    watchdog: { timeoutMs: settings.silenceTimeoutMs, waitingTimeoutMs: settings.droneWaitTimeoutMs, intervalMs: settings.watchdogIntervalMs, batchSize: settings.watchdogBatch },
  });
  const address = await service.app.listen({ host: config.host, port: config.port });
  const trimmer = startOwnStreamTrimmer(bus, trimmedStreamsOf(SERVICE), { config, logger, registry: service.app.metricsRegistry });
  return {
    address,
    async close() {
      trimmer.close();
      await service.close();
      await disconnect();
    },
  };
});
