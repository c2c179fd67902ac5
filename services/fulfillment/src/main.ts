import { connectServiceRedis, runService } from 'tributary/service';
import { startFulfillment } from './app.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'stock and shipping rules' });
  const service = await startFulfillment({ bus, store, logger, instance: config.instance });
  const address = await service.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await service.close();
      await disconnect();
    },
  };
});
