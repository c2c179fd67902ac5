import { connectRedis, redactUrl, redisTlsFromEnv, type RedisClient } from 'tributary';
import { connectServiceRedis, handledMarkerTtlSeconds, runService } from 'tributary/service';
import { startOrderMonitoring } from './app.ts';
import { parseRegionsEnv } from './regions-setting.ts';
import { SERVICE } from './store/keys.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const regions = parseRegionsEnv(process.env);
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'failure counts and leaderboards' });
  const peers: Array<{ region: string; redis: RedisClient }> = [];
  for (const peer of regions?.peers ?? []) {
    // Waits for the peer at start (a limitation: see docs/kit/activeactive.md); once
    // running, a peer that goes away is ridden out and caught up with on its return.
    const redis = await connectRedis(peer.url, {
      name: `${SERVICE}:peer:${peer.region}`,
      // A peer region's store: the store's TLS settings, when its URL is rediss://.
      tls: redisTlsFromEnv(process.env, 'store', SERVICE),
      // Reads queued while the peer is away fail after this instead of waiting for it (GET /regions answers).
      commandTimeoutMs: 2_000,
      onError: (error) => logger.warn({ region: peer.region, url: redactUrl(peer.url), err: error.message }, 'peer region store unreachable; replication from it waits'),
    });
    peers.push({ region: peer.region, redis });
  }
  const service = await startOrderMonitoring({ bus, store, logger, instance: config.instance, handledTtlSeconds: handledMarkerTtlSeconds(config), ...(regions ? { regions: { region: regions.region, peers } } : {}) });
  const address = await service.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await service.close();
      await Promise.all(peers.map((peer) => peer.redis.close()));
      await disconnect();
    },
  };
});
