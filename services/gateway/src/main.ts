import { connectRedis, redactUrl } from 'tributary';
import { runService } from 'tributary/service';
import { startGateway } from './app.ts';
import { upstreamsFromEnv } from './upstream.ts';

await runService('gateway', async ({ config, logger }) => {
  const bus = await connectRedis(config.busRedisUrl, {
    name: `gateway:${config.instance}`,
    onError: (error) => logger.warn({ err: error.message, bus: redactUrl(config.busRedisUrl) }, 'bus redis error'),
  });
  const gateway = await startGateway({ bus, upstreams: upstreamsFromEnv(), logger });
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await gateway.close();
      await bus.close();
    },
  };
});
