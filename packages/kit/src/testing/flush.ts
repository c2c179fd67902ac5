import { forEachNode, type RedisClient } from '../redis/client.ts';

/**
 * Empties a test's Redis between cases: FLUSHALL on every primary of a
 * cluster (the cluster client refuses a FLUSHALL that would reach one node
 * picked at random), or on the one server.
 */
export async function flushRedis(redis: RedisClient): Promise<void> {
  await forEachNode(redis, (node) => node.sendCommand(['FLUSHALL']));
}
