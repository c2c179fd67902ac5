import { connectRedis, redactUrl, type RedisClient } from 'tributary';
import { parseRegionsEnv } from 'tributary/activeactive';
import { connectServiceRedis, runService } from 'tributary/service';
import { openDatabase } from 'tributary/sql';
import { SERVICE, startCatalog } from './app.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, store, close: disconnect } = await connectServiceRedis(config, logger, { storeHolds: 'the product cache and price index' });
  const regions = parseRegionsEnv(process.env, { region: 'CATALOG_REGION', peers: 'CATALOG_PEERS' });
  const peers: Array<{ region: string; redis: RedisClient }> = [];
  for (const peer of regions?.peers ?? []) {
    const redis = await connectRedis(peer.url, {
      name: `${SERVICE}:peer:${peer.region}`,
      commandTimeoutMs: 2_000,
      onError: (error) => logger.warn({ region: peer.region, url: redactUrl(peer.url), err: error.message }, 'peer region Redis unreachable; replication from it waits'),
    });
    peers.push({ region: peer.region, redis });
  }
  // The cache's region Redis: its own server when given (npm start --regions), else the store.
  const regionUrl = process.env.CATALOG_REGION_REDIS_URL?.trim();
  if (regionUrl && !regions) throw new Error('CATALOG_REGION_REDIS_URL needs CATALOG_REGION and CATALOG_PEERS');
  const regionRedis = regionUrl ? await connectRedis(regionUrl, { name: `${SERVICE}:region` }) : store;
  const db = await openDatabase(config.databaseUrl);
  const catalog = await startCatalog({ db, bus, store, logger, instance: config.instance, ...(regions ? { regions: { region: regions.region, redis: regionRedis, peers } } : {}) });
  // No bookkeeping rows to prune (runService's retention), but a PGlite database's autovacuum reports to /metrics.
  db.meterInto?.(catalog.app.metricsRegistry);
  const address = await catalog.app.listen({ host: config.host, port: config.port });
  return {
    address,
    async close() {
      await catalog.close();
      await db.close();
      await Promise.all(peers.map((peer) => peer.redis.close()));
      if (regionRedis !== store) await regionRedis.close();
      await disconnect();
    },
  };
});
