import { replyScores, runLuaScript, scanKeys, type RedisClient } from 'tributary';
import { deadlineRuleDefaults, nextDeadline, type DeadlineRule } from '../domain/deadline.ts';
import type { Point } from '../domain/geo.ts';
import { isTerminal } from '../domain/status.ts';
import { deliveryKeys, FLEET_SHARDS, fleetShard, FLIGHT_TTL_SECONDS, flightMarkerTtlSeconds, legacyFleetKeys } from './keys.ts';
import { parseNumber, parsePoint, parseStatus, StoreReplyError, type Snapshot } from './replies.ts';
import { claimDueScript, syncFleetScript } from './scripts.ts';

export interface NearbyDrone {
  droneId: string;
  deliveryId: string;
  position: Point;
  distanceKm: number;
}

/** What the watchdog's claim took: `due` deadlines had passed, `ids` are the ones taken (at most the limit). */
export interface DueDeliveries {
  due: number;
  ids: string[];
}

/** The deliveries queued for a drone: how many, and since when the oldest waits (null: none). */
export interface DroneQueue {
  waiting: number;
  oldestCreatedAtMs: number | null;
}

/**
 * The fleet-wide indexes: where the drones in flight are (geo set), when
 * each delivery in flight must next be judged (the watchdog's deadline
 * index), and which ones still wait for a drone (the queue). Derived from
 * the delivery hashes, which stay the truth. Split into FLEET_SHARDS shards
 * (keys.ts): a delivery is written to its own shard, and what reads the
 * whole fleet asks every shard in one pipeline and merges.
 */
export interface FleetStore {
  /** Writes a delivery's state (`null`: the hash is gone) unless the indexes hold a newer one. */
  sync(deliveryId: string, state: Snapshot | null): Promise<boolean>;
  /** Takes up to `limit` deliveries whose deadline is at or before `nowMs`, moving each to `leaseUntilMs` meanwhile. */
  takeDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<DueDeliveries>;
  /** The queue for a drone, read in O(log n). */
  queue(): Promise<DroneQueue>;
  /** Once at start: the unsharded indexes of earlier versions (and their last-heard set) join the shards. Returns how many entries moved. */
  adoptLegacyIndex(): Promise<number>;
  /** Drones of deliveries in flight within `radiusKm`, nearest first. */
  nearby(centre: Point, radiusKm: number, limit: number): Promise<NearbyDrone[]>;
}

const SHARDS = Array.from({ length: FLEET_SHARDS }, (_, shard) => shard);

/**
 * Moves the unsharded fleet indexes of earlier versions (`delivery:{fleet}:…`)
 * into the shards, once, at start: every entry is added to its delivery's
 * shard unless the shard holds it already (a sync since the start is
 * newer), then the old key goes. The last-heard set of still earlier versions
 * joins the deadline index the same way: a last-heard time is earlier than
 * the deadline it leads to, so each adopted delivery is judged once, early,
 * and its verdict moves it to its real deadline. A start that dies halfway
 * copies again (changing nothing) and deletes the rest. Not a RENAME or a
 * script: on a cluster the old and new keys are in different slots.
 */
async function adoptLegacyFleet(redis: RedisClient): Promise<number> {
  let moved = 0;
  const sets: Array<[string, (shard: number) => string]> = [
    [legacyFleetKeys.due(), deliveryKeys.due],
    [legacyFleetKeys.heard(), deliveryKeys.due],
    [legacyFleetKeys.waiting(), deliveryKeys.waiting],
    // A geo set is a sorted set whose scores are the positions' geohashes: copied as such.
    [legacyFleetKeys.drones(), deliveryKeys.drones],
  ];
  for (const [legacy, shardKey] of sets) {
    const entries = replyScores(await redis.sendCommand(['ZRANGE', legacy, '0', '-1', 'WITHSCORES']));
    // Sent in one tick: node-redis pipelines them.
    const added = await Promise.all(entries.map(({ member, score }) => redis.sendCommand(['ZADD', shardKey(fleetShard(member)), 'NX', String(score), member])));
    moved += added.reduce<number>((sum, count) => sum + Number(count), 0);
    if (entries.length > 0) await redis.sendCommand(['DEL', legacy]);
  }
  for await (const keys of scanKeys(redis, legacyFleetKeys.flightPattern())) {
    for (const key of keys) {
      const deliveryId = key.slice(legacyFleetKeys.flightPattern().length - 1);
      const [marker, ttl] = await Promise.all([redis.sendCommand<string | null>(['GET', key]), redis.sendCommand<number>(['PTTL', key])]);
      if (marker !== null) await redis.sendCommand(['SET', deliveryKeys.flight(deliveryId), marker, 'NX', 'PX', String(Number(ttl) > 0 ? ttl : FLIGHT_TTL_SECONDS * 1_000)]);
      await redis.sendCommand(['DEL', key]);
    }
  }
  return moved;
}

/** `rule`: the limits that turn a delivery's state into its next deadline. */
export function createFleetStore(redis: RedisClient, rule: DeadlineRule = deadlineRuleDefaults): FleetStore {
  const markerTtlSeconds = flightMarkerTtlSeconds(rule);
  return {
    async sync(deliveryId, state) {
      const reply = await runLuaScript<number>(
        redis,
        syncFleetScript,
        [deliveryKeys.drones(fleetShard(deliveryId)), deliveryKeys.due(fleetShard(deliveryId)), deliveryKeys.waiting(fleetShard(deliveryId)), deliveryKeys.flight(deliveryId)],
        [
          deliveryId,
          state?.status ?? 'GONE',
          state?.seq ?? -1,
          state?.heardAtMs ?? 0,
          state ? nextDeadline(state, rule) : 0,
          state?.position?.lon ?? '',
          state?.position?.lat ?? '',
          markerTtlSeconds,
        ],
      );
      return Number(reply) === 1;
    },

    async takeDue(nowMs, limit, leaseUntilMs) {
      // The oldest deadlines of every shard (read only), then the `limit` oldest of all claimed in their shards.
      // An idle run is one ZCOUNT per shard, in one pipeline.
      const now = String(nowMs);
      const counts = (await Promise.all(SHARDS.map((shard) => redis.sendCommand<number>(['ZCOUNT', deliveryKeys.due(shard), '-inf', now])))).map(Number);
      const due = counts.reduce((sum, count) => sum + count, 0);
      if (due === 0) return { due, ids: [] };
      const busy = SHARDS.filter((shard) => (counts[shard] ?? 0) > 0);
      const oldest = await Promise.all(
        busy.map((shard) => redis.sendCommand(['ZRANGE', deliveryKeys.due(shard), '-inf', now, 'BYSCORE', 'LIMIT', '0', String(limit), 'WITHSCORES']).then(replyScores)),
      );
      const picked = oldest
        .flatMap((entries, index) => entries.map((entry) => ({ shard: busy[index] as number, id: entry.member, score: entry.score })))
        // Equal deadlines in member order, as one sorted set would give them.
        .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit);
      const byShard = new Map<number, string[]>();
      for (const { shard, id } of picked) byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
      const claimed = new Set(
        (
          await Promise.all(
            [...byShard].map(([shard, ids]) => runLuaScript<unknown[]>(redis, claimDueScript, [deliveryKeys.due(shard)], [nowMs, leaseUntilMs, ...ids])),
          )
        ).flat().map(String),
      );
      return { due, ids: picked.map((entry) => entry.id).filter((id) => claimed.has(id)) };
    },

    async queue() {
      const [sizes, oldest] = await Promise.all([
        Promise.all(SHARDS.map((shard) => redis.sendCommand<number>(['ZCARD', deliveryKeys.waiting(shard)]))),
        Promise.all(SHARDS.map((shard) => redis.sendCommand(['ZRANGE', deliveryKeys.waiting(shard), '0', '0', 'WITHSCORES']).then(replyScores))),
      ]);
      const firsts = oldest.flat().map((entry) => entry.score).filter((score) => Number.isFinite(score));
      return { waiting: sizes.reduce((sum, size) => sum + Number(size), 0), oldestCreatedAtMs: firsts.length > 0 ? Math.min(...firsts) : null };
    },

    adoptLegacyIndex: () => adoptLegacyFleet(redis),

    async nearby(centre, radiusKm, limit) {
      // The nearest `limit` of each shard, then the nearest `limit` of all.
      const found = await Promise.all(
        SHARDS.map((shard) =>
          redis.sendCommand<unknown[]>([
            'GEOSEARCH', deliveryKeys.drones(shard), 'FROMLONLAT', String(centre.lon), String(centre.lat),
            'BYRADIUS', String(radiusKm), 'km', 'ASC', 'COUNT', String(limit), 'WITHDIST',
          ]),
        ),
      );
      const hits = found
        .flat()
        .map((item) => {
          if (!Array.isArray(item) || item.length !== 2) throw new StoreReplyError('GEOSEARCH', JSON.stringify(item));
          return { deliveryId: String(item[0]), distanceKm: parseNumber(String(item[1])) ?? 0 };
        })
        .sort((a, b) => a.distanceKm - b.distanceKm)
        .slice(0, limit);
      // The geo set lags the hashes by a moment (see keys.ts): the hash decides
      // whether the delivery is still in flight, and holds the exact position.
      const states = await Promise.all(
        hits.map((hit) => redis.sendCommand<unknown[]>(['HMGET', deliveryKeys.delivery(hit.deliveryId), 'status', 'droneId', 'lat', 'lon'])),
      );
      const drones: NearbyDrone[] = [];
      hits.forEach((hit, index) => {
        const [rawStatus, droneId, lat, lon] = states[index] ?? [];
        const status = parseStatus(rawStatus);
        const position = parsePoint(lat, lon);
        if (status === null || isTerminal(status) || typeof droneId !== 'string' || droneId === '' || position === null) return;
        drones.push({ droneId, deliveryId: hit.deliveryId, position, distanceKm: Math.round(hit.distanceKm * 1_000) / 1_000 });
      });
      return drones;
    },
  };
}
