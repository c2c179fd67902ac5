export { waitFor, type WaitForOptions } from './wait-for.ts';
export { freePort } from './free-port.ts';
export { startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.ts';
export { createServerDatabase, testDatabases, type TestDatabase } from './databases.ts';
export { readEnvelopes, readStreamEvents, type StreamEvent } from './stream-events.ts';
export { askRedis, SENTINEL_MASTER_NAME, startSentinel, startSentinelGroup, type Sentinel, type SentinelGroup } from './redis-sentinel.ts';
export { startRedisCluster, type RedisCluster } from './redis-cluster.ts';
export { generateTlsCertificates, type TlsCertificates } from './tls-certificates.ts';
export { flushRedis } from './flush.ts';
