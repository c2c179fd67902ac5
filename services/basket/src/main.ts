import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, runService, serveService } from 'tributary/service';
import { DEFAULT_BASKET_TTL_SECONDS, startBasket } from './app.ts';
import { SERVICE } from './store/keys.ts';

/** BASKET_TTL_SECONDS: how long an untouched basket lives (default 7 days). */
function readTtl(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_BASKET_TTL_SECONDS;
  const ttl = Number(raw);
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new Error(`BASKET_TTL_SECONDS must be a positive integer, got "${raw}"`);
  return ttl;
}

await runService(SERVICE, async ({ config, logger }) => {
  const ttlSeconds = readTtl(process.env.BASKET_TTL_SECONDS);
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'baskets' });
  const service = await startBasket({ bus, store, logger, instance: config.instance, ttlSeconds, handledTtlSeconds: Math.ceil(config.handledMarkerRetentionMs / 1000) });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
