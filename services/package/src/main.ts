import { trimmedStreamsOf } from '@tributary/contracts';
import { connectRedis, redactUrl } from 'tributary';
import { runService, serveService } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE, startPackage } from './app.ts';
import { readWarehouse } from './config.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const warehouse = readWarehouse();
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${SERVICE}:${config.instance}`,
    onError: (error) => logger.warn({ err: error, bus: redactUrl(config.busRedisUrl) }, 'bus Redis connection error'),
  });
  const db = await openDatabase(config.databaseUrl).catch(async (error: unknown) => {
    await bus.close();
    throw error;
  });
  const running = await startPackage({ db, bus, logger, instance: config.instance, warehouse }).catch(async (error: unknown) => {
    await db.close();
    await bus.close();
    throw error;
  });
  logger.info({ warehouse }, 'packages are picked up at the warehouse');
  const disconnect = async () => {
    await bus.close();
    await db.close();
  };
  return {
    ...(await serveService(running, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect })),
    retention: { db, registry: running.app.metricsRegistry, handledMarkers: { holdFrom: running.unsettledSince } },
  };
});
