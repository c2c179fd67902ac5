import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, runService, serveService } from 'tributary/service';
import { startBasket } from './app.ts';
import { readBasketSettings } from './settings.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { ttlSeconds } = readBasketSettings();
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'baskets' });
  const service = await startBasket({ bus, store, logger, instance: config.instance, ttlSeconds, handledTtlSeconds: Math.ceil(config.handledMarkerRetentionMs / 1000) });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
