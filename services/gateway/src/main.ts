import { connectServiceRedis, runService } from 'tributary/service';
import { startGateway } from './app.ts';
import { settingsFromEnv } from './settings.ts';
import { upstreamsFromEnv } from './upstream.ts';

await runService('gateway', async ({ config, logger }) => {
  const settings = settingsFromEnv();
  const upstreams = upstreamsFromEnv();
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'sessions, rate limits and idempotency keys' });
  const gateway = await startGateway({ bus, store, upstreams, settings, logger });
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  logger.info(
    { rateLimit: settings.rateLimit, adminKey: settings.adminApiKey ? 'set' : 'not set (admin routes open)', secureCookie: settings.session.secureCookie },
    'gateway settings',
  );
  return {
    address,
    async close() {
      await gateway.close();
      await disconnect();
    },
  };
});
