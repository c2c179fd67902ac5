import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, handledMarkerTtlSeconds, runService, serveService } from 'tributary/service';
import { startFulfillment } from './app.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'stock and shipping rules' });
  const service = await startFulfillment({ bus, store, logger, instance: config.instance, handledTtlSeconds: handledMarkerTtlSeconds(config) });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
