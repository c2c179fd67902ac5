import { trimmedStreamsOf } from '@tributary/contracts';
import { runService, startOwnStreamTrimmer } from 'tributary/service';
import { connectSqlService } from 'tributary/sql';
import { SERVICE, startAccounts } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, db, close: disconnect } = await connectSqlService(config, logger);
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
      await disconnect();
    },
  };
});
