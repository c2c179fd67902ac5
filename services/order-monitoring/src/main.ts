import { connectServiceRedis, runService } from 'tributary/service';
import { startOrderMonitoring } from './app.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'failure counts and leaderboards' });
  const service = await startOrderMonitoring({ bus, store, logger, instance: config.instance, handledTtlSeconds: Math.ceil(config.handledMarkerRetentionMs / 1000) });
  const address = await service.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await service.close();
      await disconnect();
    },
  };
});
