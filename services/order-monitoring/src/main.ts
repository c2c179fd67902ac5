import { connectRedis, redactUrl } from 'tributary';
import { runService } from 'tributary/service';
import { startOrderMonitoring } from './app.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const onError = (role: string, url: string) => (error: Error) => logger.warn({ err: error, redis: role, at: redactUrl(url) }, 'redis connection error');
  const bus = await connectRedis(config.busRedisUrl, { name: `${SERVICE}-bus`, onError: onError('bus', config.busRedisUrl) });
  const store = await connectRedis(config.storeRedisUrl, { name: `${SERVICE}-store`, onError: onError('store', config.storeRedisUrl) });
  if (config.storeRedisUrl === config.busRedisUrl) {
    logger.warn('STORE_REDIS_URL is not set: the read model shares the bus Redis (fine for a demo, not for production)');
  }
  const service = await startOrderMonitoring({ bus, store, logger, instance: config.instance });
  const address = await service.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await service.close();
      await Promise.allSettled([bus.close(), store.close()]);
    },
  };
});
