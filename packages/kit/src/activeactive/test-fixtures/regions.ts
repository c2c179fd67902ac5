import { afterAll, beforeAll } from 'vitest';
import { connectRedis, type RedisClient } from '../../redis/client.ts';
import { startRedisServer, type RedisServer } from '../../testing/redis-server.ts';
import { createRegion, type Region } from '../region.ts';
import { createReplicator } from '../replicator.ts';

export interface RegionServers {
  servers: RedisServer[];
  clients: RedisClient[];
  /** Regions r0..r(n-1) over the first n servers, on a prefix no other test uses. */
  regions(n: number): Region[];
}

let prefixes = 0;

/** `count` private redis-servers for the file, one region each. */
export function useRegionServers(count: number): RegionServers {
  const env: RegionServers = {
    servers: [],
    clients: [],
    regions(n) {
      const prefix = `aa-test-${process.pid}-${++prefixes}`;
      return env.clients.slice(0, n).map((redis, i) => createRegion({ redis, region: `r${i}`, prefix }));
    },
  };
  beforeAll(async () => {
    env.servers = await Promise.all(Array.from({ length: count }, () => startRedisServer()));
    env.clients = await Promise.all(env.servers.map((server) => connectRedis(server.url)));
  });
  afterAll(async () => {
    await Promise.all(env.clients.map((client) => client.close()));
    await Promise.all(env.servers.map((server) => server.stop()));
  });
  return env;
}

/** Syncs every ordered pair until a whole round applies nothing. */
export async function syncAll(regions: Region[]): Promise<void> {
  for (;;) {
    let applied = 0;
    for (const source of regions) {
      for (const target of regions) {
        if (source === target) continue;
        applied += await createReplicator({ source: { region: source.id, redis: source.redis }, target }).syncOnce();
      }
    }
    if (applied === 0) return;
  }
}

/** Everything a region's reads return for the given keys, for comparing regions. */
export async function snapshot(region: Region, keys: { counters: string[]; sets: string[]; registers: string[]; hashes: string[]; boards: string[] }) {
  const sortedMembers = async (key: string) => (await region.redis.sMembers(region.keys.value(key))).sort();
  return {
    counters: await Promise.all(keys.counters.map((key) => region.counter(key))),
    sets: await Promise.all(keys.sets.map(sortedMembers)),
    registers: await Promise.all(keys.registers.map((key) => region.register(key))),
    hashes: await Promise.all(keys.hashes.map((key) => region.fields(key))),
    boards: await Promise.all(keys.boards.map((key) => region.scores(key))),
  };
}
