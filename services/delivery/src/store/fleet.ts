import { runLuaScript, type RedisClient } from 'tributary';
import type { Point } from '../domain/geo.ts';
import { isTerminal } from '../domain/status.ts';
import { deliveryKeys, FLIGHT_TTL_SECONDS } from './keys.ts';
import { parseNumber, parsePoint, parseStatus, StoreReplyError, type Snapshot } from './replies.ts';
import { syncFleetScript } from './scripts.ts';

export interface NearbyDrone {
  droneId: string;
  deliveryId: string;
  position: Point;
  distanceKm: number;
}

/**
 * The fleet-wide indexes: where the drones in flight are (geo set) and when
 * each delivery in flight was last heard from (sorted set, for the
 * watchdog). Derived from the delivery hashes, which stay the truth.
 */
export interface FleetStore {
  /** Writes a delivery's state (`null`: the hash is gone) unless the indexes hold a newer one. */
  sync(deliveryId: string, state: Snapshot | null): Promise<boolean>;
  /** Deliveries in flight last heard at or before `cutoffMs`, oldest first, skipping the first `offset`. */
  silentSince(cutoffMs: number, limit: number, offset?: number): Promise<string[]>;
  /** Drones of deliveries in flight within `radiusKm`, nearest first. */
  nearby(centre: Point, radiusKm: number, limit: number): Promise<NearbyDrone[]>;
}

export function createFleetStore(redis: RedisClient): FleetStore {
  return {
    async sync(deliveryId, state) {
      const reply = await runLuaScript<number>(
        redis,
        syncFleetScript,
        [deliveryKeys.drones(), deliveryKeys.heard(), deliveryKeys.flight(deliveryId)],
        [
          deliveryId,
          state?.status ?? 'GONE',
          state?.seq ?? -1,
          state?.heardAtMs ?? 0,
          state?.position?.lon ?? '',
          state?.position?.lat ?? '',
          FLIGHT_TTL_SECONDS,
        ],
      );
      return Number(reply) === 1;
    },

    async silentSince(cutoffMs, limit, offset = 0) {
      const reply = await redis.sendCommand<unknown[]>(['ZRANGE', deliveryKeys.heard(), '-inf', String(cutoffMs), 'BYSCORE', 'LIMIT', String(offset), String(limit)]);
      return reply.map(String);
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
