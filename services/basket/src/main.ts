import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, handledMarkerTtlSeconds, runService, serveService } from 'tributary/service';
import { startBasket } from './app.ts';
import { readBasketSettings } from './settings.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { ttlSeconds } = readBasketSettings();
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'baskets' });
  const service = await startBasket({ bus, store, logger, instance: config.instance, ttlSeconds, handledTtlSeconds: handledMarkerTtlSeconds(config) });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
