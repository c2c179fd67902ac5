import { replyScores, runLuaScript, type RedisClient } from 'tributary';
import { deadlineRuleDefaults, nextDeadline, type DeadlineRule } from '../domain/deadline.ts';
import type { Point } from '../domain/geo.ts';
import { isTerminal } from '../domain/status.ts';
import { deliveryKeys, FLIGHT_TTL_SECONDS } from './keys.ts';
import { parseNumber, parsePoint, parseStatus, StoreReplyError, type Snapshot } from './replies.ts';
import { adoptLegacyIndexScript, syncFleetScript, takeDueScript } from './scripts.ts';

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
 * the delivery hashes, which stay the truth.
 */
export interface FleetStore {
  /** Writes a delivery's state (`null`: the hash is gone) unless the indexes hold a newer one. */
  sync(deliveryId: string, state: Snapshot | null): Promise<boolean>;
  /** Takes up to `limit` deliveries whose deadline is at or before `nowMs`, moving each to `leaseUntilMs` meanwhile. */
  takeDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<DueDeliveries>;
  /** The queue for a drone, read in O(log n). */
  queue(): Promise<DroneQueue>;
  /** Once at start: the last-heard set of earlier versions joins the deadline index. Returns how many it held. */
  adoptLegacyIndex(): Promise<number>;
  /** Drones of deliveries in flight within `radiusKm`, nearest first. */
  nearby(centre: Point, radiusKm: number, limit: number): Promise<NearbyDrone[]>;
}

/** `rule`: the limits that turn a delivery's state into its next deadline. */
export function createFleetStore(redis: RedisClient, rule: DeadlineRule = deadlineRuleDefaults): FleetStore {
  return {
    async sync(deliveryId, state) {
      const reply = await runLuaScript<number>(
        redis,
        syncFleetScript,
        [deliveryKeys.drones(), deliveryKeys.due(), deliveryKeys.waiting(), deliveryKeys.flight(deliveryId)],
        [
          deliveryId,
          state?.status ?? 'GONE',
          state?.seq ?? -1,
          state?.heardAtMs ?? 0,
          state ? nextDeadline(state, rule) : 0,
          state?.position?.lon ?? '',
          state?.position?.lat ?? '',
          FLIGHT_TTL_SECONDS,
        ],
      );
      return Number(reply) === 1;
    },

    async takeDue(nowMs, limit, leaseUntilMs) {
      const reply = await runLuaScript<unknown[]>(redis, takeDueScript, [deliveryKeys.due()], [nowMs, limit, leaseUntilMs]);
      const [due, ids] = reply;
      if (!Array.isArray(ids)) throw new StoreReplyError('takeDue', JSON.stringify(reply));
      return { due: Number(due), ids: ids.map(String) };
    },

    async queue() {
      const [waiting, oldest] = await Promise.all([
        redis.sendCommand<number>(['ZCARD', deliveryKeys.waiting()]),
        redis.sendCommand(['ZRANGE', deliveryKeys.waiting(), '0', '0', 'WITHSCORES']).then(replyScores),
      ]);
      return { waiting: Number(waiting), oldestCreatedAtMs: oldest[0] && Number.isFinite(oldest[0].score) ? oldest[0].score : null };
    },

    async adoptLegacyIndex() {
      return Number(await runLuaScript<number>(redis, adoptLegacyIndexScript, [deliveryKeys.due(), deliveryKeys.legacyHeard()], []));
    },

    async nearby(centre, radiusKm, limit) {
      const found = await redis.sendCommand<unknown[]>([
        'GEOSEARCH', deliveryKeys.drones(), 'FROMLONLAT', String(centre.lon), String(centre.lat),
        'BYRADIUS', String(radiusKm), 'km', 'ASC', 'COUNT', String(limit), 'WITHDIST',
      ]);
      const hits = found.map((item) => {
        if (!Array.isArray(item) || item.length !== 2) throw new StoreReplyError('GEOSEARCH', JSON.stringify(item));
        return { deliveryId: String(item[0]), distanceKm: parseNumber(String(item[1])) ?? 0 };
      });
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
