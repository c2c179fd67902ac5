export * from './streams/index.ts';
export { TributaryError, errorCatalogue, type ErrorCode } from './errors.ts';
export { createSerialQueue, type SerialQueue } from './serial.ts';
export { abortableDelay } from './delay.ts';
export { isProcessAlive } from './process-alive.ts';
export { clientForKey, confirmReplicated, connectRedis, forEachNode, isCluster, nodeClients, redactUrl, scanKeys, type RedisClient } from './redis/client.ts';
export {
  parseInfo,
  replyEntries,
  replyField,
  replyMap,
  replyMaps,
  replyNumber,
  replyPairs,
  replyRecord,
  replyScores,
  replyStreams,
} from './redis/replies.ts';
export { formatSentinelUrl, parseSentinelUrl, SENTINEL_SCHEME, sentinelAuthFromEnv, type SentinelAuth, type SentinelUrl } from './redis/sentinel.ts';
export { CLUSTER_SCHEME, formatClusterUrl, isClusterUrl, keySlot, parseClusterUrl, TLS_CLUSTER_SCHEME, type ClusterUrl } from './redis/cluster.ts';
export { checkRedisTls, redisTlsFromEnv, tlsSocketOptions, wantsTls, type RedisTls } from './redis/tls.ts';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export { checkKeyCount, loadLuaScript, runLuaScript, type LuaScript } from './redis/script.ts';
export { fromScriptError, isNoSuchKey, isRedisError, type RedisErrorCode } from './redis/reply-errors.ts';
