import { connectRedis, redactUrl } from 'tributary';
import { runService } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE, startOrdering } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const bus = await connectRedis(config.busRedisUrl, {
    name: `${SERVICE}:${config.instance}`,
    onError: (error) => logger.warn({ err: error, bus: redactUrl(config.busRedisUrl) }, 'bus Redis connection error'),
  });
  const db = await openDatabase(config.databaseUrl).catch(async (error: unknown) => {
    await bus.close();
    throw error;
  });
  const running = await startOrdering({ db, bus, logger, instance: config.instance }).catch(async (error: unknown) => {
    await db.close();
    await bus.close();
    throw error;
  });
  const address = await running.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await running.close();
      await bus.close();
      await db.close();
    },
  };
});
