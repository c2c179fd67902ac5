import { trimmedStreamsOf } from '@tributary/contracts';
import { connectServiceRedis, handledMarkerTtlSeconds, runService, serveService } from 'tributary/service';
import { startMailing } from './app.ts';
import { SERVICE } from './store/keys.ts';

/**
 * Reads (via readServiceConfig): MAILING_BUS_REDIS_URL or BUS_REDIS_URL (required),
 * MAILING_STORE_REDIS_URL or STORE_REDIS_URL (default: the bus), MAILING_PORT or PORT,
 * HOST (default 127.0.0.1), TRIBUTARY_INSTANCE (default mailing-<pid>).
 */
await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'recipients and mails' });
  const service = await startMailing({ bus, store, logger, instance: config.instance, handledTtlSeconds: handledMarkerTtlSeconds(config) });
  return serveService(service, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect });
});
