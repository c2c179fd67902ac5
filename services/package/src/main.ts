import { trimmedStreamsOf } from '@tributary/contracts';
import { runService, serveService } from 'tributary/service';
import { connectSqlService } from 'tributary/sql';
import { SERVICE, startPackage } from './app.ts';
import { readWarehouse } from './config.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const warehouse = readWarehouse();
  const { bus, db, close: disconnect } = await connectSqlService(config, logger);
  const running = await startPackage({ db, bus, logger, instance: config.instance, warehouse }).catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  logger.info({ warehouse }, 'packages are picked up at the warehouse');
  return {
    ...(await serveService(running, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect })),
    retention: { db, registry: running.app.metricsRegistry, handledMarkers: { holdFrom: running.unsettledSince } },
  };
});
