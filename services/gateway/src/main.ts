import { connectServiceRedis, runService } from 'tributary/service';
import { startGateway } from './app.ts';
import { settingsFromEnv } from './settings.ts';
import { upstreamsFromEnv } from './upstream.ts';

await runService('gateway', async ({ config, logger }) => {
  const settings = settingsFromEnv();
  if (settings.adminApiKey === null) {
    logger.warn('OPEN MODE (TRIBUTARY_AUTH=open): admin routes, operator views and every customer\'s data are open to anyone who can reach this port');
  }
  const upstreams = upstreamsFromEnv();
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'sessions, rate limits and idempotency keys' });
  const gateway = await startGateway({ bus, store, upstreams, settings, logger });
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  logger.info(
    { rateLimit: settings.rateLimit, auth: settings.adminApiKey ? 'admin key' : 'open mode', secureCookie: settings.session.secureCookie },
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
