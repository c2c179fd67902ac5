import { trimmedStreamsOf } from '@tributary/contracts';
import { connectRedis, redactUrl } from 'tributary';
import { runService, startOwnStreamTrimmer } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE, startAccounts } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${SERVICE}:${config.instance}`,
    onError: (error) => logger.warn({ err: error, bus: redactUrl(config.busRedisUrl) }, 'bus redis error'),
  });
  const db = await openDatabase(config.databaseUrl);
  const accounts = await startAccounts({ db, bus, instance: config.instance, logger });
  const address = await accounts.app.listen({ host: config.host, port: config.port });
  // accounts:payments; accounts:events is kept whole (UNTRIMMED_STREAMS).
  const trimmer = startOwnStreamTrimmer(bus, trimmedStreamsOf(SERVICE), { config, logger, registry: accounts.app.metricsRegistry });
  return {
    address,
    retention: { db, registry: accounts.app.metricsRegistry, handledMarkers: { holdFrom: accounts.unsettledSince } },
    async close() {
      trimmer.close();
      await accounts.close();
      await db.close();
      await bus.close();
    },
  };
});
