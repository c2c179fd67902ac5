import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, runService, startOwnStreamTrimmer } from 'tributary/service';
import { startFulfillment } from './app.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'stock and shipping rules' });
  const service = await startFulfillment({ bus, store, logger, instance: config.instance, handledTtlSeconds: Math.ceil(config.handledMarkerRetentionMs / 1000) });
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
