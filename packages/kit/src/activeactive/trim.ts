import type { RedisClient } from '../redis/client.ts';
import { compareIds } from '../streams/commands.ts';
import type { Region } from './region.ts';

/**
 * Trims `region`'s log below the oldest cursor any peer holds for it: what
 * every other region has applied is never read again. Trims nothing while a
 * peer has no cursor yet (it has applied nothing), and throws, trimming
 * nothing, when a peer cannot be asked. A region added later must start
 * from a copy of another region's data, not from the logs. Returns the
 * number of entries removed.
 */
export async function trimLog(region: Region, peers: ReadonlyArray<{ region: string; redis: RedisClient }>): Promise<number> {
  if (peers.length === 0) return 0;
  const cursors = await Promise.all(peers.map((peer) => peer.redis.get(region.keys.cursor(region.id))));
  if (cursors.some((cursor) => cursor === null)) return 0;
  const oldest = (cursors as string[]).reduce((low, cursor) => (compareIds(cursor, low) < 0 ? cursor : low));
  // MINID keeps the entry at the oldest cursor itself: harmless, and a replicator may still read after it.
  return Number(await region.redis.sendCommand(['XTRIM', region.keys.log, 'MINID', oldest]));
}
