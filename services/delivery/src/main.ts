import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, handledMarkerTtlSeconds, runService, serveService } from 'tributary/service';
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
    handledTtlSeconds: handledMarkerTtlSeconds(config),
    watchdog: { timeoutMs: settings.silenceTimeoutMs, waitingTimeoutMs: settings.droneWaitTimeoutMs, intervalMs: settings.watchdogIntervalMs, batchSize: settings.watchdogBatch },
  });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
