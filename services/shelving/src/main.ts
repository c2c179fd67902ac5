import { connectServiceRedis, handledMarkerTtlSeconds, runService } from 'tributary/service';
import { SERVICE, startShelving } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  // Its books in its own store Redis; lending's events on the bus.
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'the books handed out' });
  const service = await startShelving({ bus, store, logger, instance: config.instance, handledTtlSeconds: handledMarkerTtlSeconds(config) }).catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  const address = await service.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await service.close();
      await disconnect();
    },
  };
});
