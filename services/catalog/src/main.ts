import { connectServiceRedis, runService } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE, startCatalog } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'the product cache and price index' });
  const db = await openDatabase(config.databaseUrl);
  const catalog = await startCatalog({ db, bus, store, logger, instance: config.instance });
  const address = await catalog.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await catalog.close();
      await db.close();
      await disconnect();
    },
  };
});
