import { replyScores, type RedisClient } from 'tributary';
import { createRegion, createReplicator, replicationStatus, type Region, type Replicator, type ReplicationStatus } from 'tributary/activeactive';
import type { RankedEntry } from 'tributary/leaderboard';
import { RECENT_FAILURES_LIMIT } from '../domain/failures.ts';
import { LEADERBOARDS, type LeaderboardName } from '../domain/leaderboards.ts';
import type { FailureStore } from './failure-store.ts';
import { HANDLED_TTL_SECONDS, SERVICE } from './keys.ts';
import type { OrderLeaderboards, RankedBoard } from './leaderboards.ts';

/** This instance's region and the store Redis of every other region. */
export interface RegionsSetting {
  region: string;
  peers: ReadonlyArray<{ region: string; redis: RedisClient }>;
}

export interface ActiveActiveStore {
  boards: OrderLeaderboards;
  /** Counts Active/Active; the recent list stays this region's own (a list is no CRDT). */
  failures: FailureStore;
  /** How far this region is behind each peer, or why a peer could not be asked. */
  status(): Promise<Array<ReplicationStatus | { source: string; target: string; unreachable: string }>>;
  close(): Promise<void>;
}

/** The Active/Active data of order-monitoring; every region uses this prefix in its own store. */
export const ACTIVE_ACTIVE_PREFIX = `${SERVICE}:aa`;
const FAILURES = 'failures';

/** A plain sorted set ranked as the kit's leaderboard ranks (equal scores by member ascending). */
function rankedBoard(region: Region, board: LeaderboardName, rememberSeconds: number): RankedBoard {
  const key = region.keys.value(`board:${board}`);
  const remember = { rememberSeconds };
  const membersAt = (score: number) => region.redis.sendCommand<string[]>(['ZRANGE', key, String(score), String(score), 'BYSCORE']);
  return {
    increment: (member, by, { operationId }) => region.incrMember(`board:${board}`, member, by, { operationId, ...remember }),
    // One operation id per member: a redelivery after a crash halfway applies only the members still missing.
    incrementMany: (increments, { operationId }) =>
      Promise.all(increments.map(({ member, by }) => region.incrMember(`board:${board}`, member, by, { operationId: `${operationId}/${member}`, ...remember }))),
    async top(limit) {
      const head = replyScores(await region.redis.sendCommand(['ZRANGE', key, '0', String(limit - 1), 'REV', 'WITHSCORES']));
      const cut = head[limit - 1]?.score;
      // ZRANGE REV orders equal scores by member descending; the API promises ascending.
      const entries = cut === undefined ? head : [...head.filter((entry) => entry.score > cut), ...(await membersAt(cut)).map((member) => ({ member, score: cut }))];
      entries.sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
      return entries.slice(0, limit).map((entry, i): RankedEntry => ({ ...entry, rank: i + 1 }));
    },
    async rankOf(member) {
      const score = await region.redis.zScore(key, member);
      if (score === null) return null;
      const higher = await region.redis.zCount(key, `(${score}`, '+inf');
      const tiedBefore = (await membersAt(score)).filter((other) => other < member).length;
      return { member, score, rank: higher + tiedBefore + 1 };
    },
  };
}

/**
 * Order-monitoring's counts kept Active/Active: each region's instance writes
 * its own store, and runs one replicator per peer into it, so every region's
 * boards and failure counts converge to the whole system's. Operation ids
 * are remembered `handledTtlSeconds` (the service's handled-marker
 * retention), as the local markers are.
 */
export function createActiveActiveStore(store: RedisClient, local: FailureStore, setting: RegionsSetting, handledTtlSeconds = HANDLED_TTL_SECONDS): ActiveActiveStore {
  const region = createRegion({ redis: store, region: setting.region, prefix: ACTIVE_ACTIVE_PREFIX });
  const replicators: Replicator[] = setting.peers.map((peer) => createReplicator({ source: peer, target: region }));
  for (const replicator of replicators) replicator.start();
  const boards = Object.fromEntries(LEADERBOARDS.map((board) => [board, rankedBoard(region, board, handledTtlSeconds)])) as Record<LeaderboardName, RankedBoard>;
  return {
    boards,
    failures: {
      async record(group, eventId, failure) {
        // Both steps are idempotent on their own, so a crash between them is completed by the redelivery.
        await region.incrMember(FAILURES, failure.reason, 1, { operationId: `${group}/${eventId}`, rememberSeconds: handledTtlSeconds });
        return local.record(group, eventId, failure);
      },
      async read() {
        const [scores, { recent }] = await Promise.all([region.scores(FAILURES), local.read()]);
        return { counts: Object.fromEntries(scores.map(({ member, score }) => [member, String(score)])), recent: recent.slice(0, RECENT_FAILURES_LIMIT) };
      },
    },
    // Both directions of every pair this region is in: one region's page (the gateway reaches one) shows the others' lag from it too.
    status: () =>
      Promise.all(
        setting.peers.flatMap((peer) => {
          const unreachable = (source: string, target: string) => (error: unknown) => ({ source, target, unreachable: error instanceof Error ? error.message : String(error) });
          const there = createRegion({ redis: peer.redis, region: peer.region, prefix: ACTIVE_ACTIVE_PREFIX });
          return [
            replicationStatus(peer, region).catch(unreachable(peer.region, region.id)),
            replicationStatus({ region: region.id, redis: store }, there).catch(unreachable(region.id, peer.region)),
          ];
        }),
      ),
    async close() {
      await Promise.all(replicators.map((replicator) => replicator.close()));
    },
  };
}
