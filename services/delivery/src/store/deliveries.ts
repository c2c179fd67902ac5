import { replyRecord, runLuaScript, type EventData, type RedisClient } from 'tributary';
import type { DeliveryStatus, DroneTelemetry } from '@tributary/contracts';
import type { DeliveryRecord, DeliveryStep, FailureReason } from '../domain/delivery.ts';
import type { Point } from '../domain/geo.ts';
import { phaseStatus } from '../domain/status.ts';
import { deliveryKeys, SCHEDULED_TTL_SECONDS } from './keys.ts';
import { parseDeliveryHash } from './record.ts';
import { parseCode, parseSnapshot, parseSteps, StoreReplyError, type Snapshot } from './replies.ts';
import { applyReadingScript, createDeliveryScript, expireDeliveryScript, failSilentScript, markSentScript } from './scripts.ts';

export type Reading = EventData<typeof DroneTelemetry>;

export interface NewDelivery {
  deliveryId: string;
  packageId: string;
  orderId: string;
  pickup: Point;
  dropoff: Point;
}

/**
 * `unsent`: the steps the delivery reached whose DeliveryStatusChanged is not
 * marked sent yet (`markSent`), whichever call reached them.
 */
export type CreateResult =
  | { outcome: 'created' | 'exists'; snapshot: Snapshot; unsent: DeliveryStep[] }
  /** Scheduled once and since expired: nothing to do. */
  | { outcome: 'expired' };

export type ApplyResult =
  | { outcome: 'applied' | 'stale'; snapshot: Snapshot; unsent: DeliveryStep[] }
  | { outcome: 'unknown' };

export type SilenceResult =
  | { outcome: 'failed' | 'terminal' | 'heard'; snapshot: Snapshot; unsent: DeliveryStep[] }
  | { outcome: 'unknown' };

export type ExpireResult = 'expiry-set' | 'expiry-kept' | 'in-flight' | 'unknown';

/** The per-delivery part of the store: one hash per delivery, changed only by scripts. */
export interface DeliveryStore {
  create(delivery: NewDelivery, now: Date): Promise<CreateResult>;
  /** Safe to call for many readings in one tick: node-redis pipelines them. */
  applyReading(reading: Reading, nowMs: number): Promise<ApplyResult>;
  /** Fails the delivery with `reason` if it was last heard at or before `cutoffMs` and is still in flight. */
  /** `waitingCutoffMs` applies to a delivery with no reading yet (waiting for a drone: NO_DRONE_AVAILABLE past it). */
  failIfSilent(deliveryId: string, cutoffMs: number, now: Date, reason: FailureReason, waitingCutoffMs?: number): Promise<SilenceResult>;
  /** After publishing their events: those steps are no longer listed as unsent. */
  markSent(deliveryId: string, statuses: DeliveryStatus[]): Promise<void>;
  expire(deliveryId: string, retentionSeconds: number): Promise<ExpireResult>;
  get(deliveryId: string): Promise<DeliveryRecord | null>;
}

/** `scheduledTtlSeconds`: how long a delivery's scheduled marker outlives it (the service's handled-marker retention). */
export function createDeliveryStore(redis: RedisClient, scheduledTtlSeconds = SCHEDULED_TTL_SECONDS): DeliveryStore {
  return {
    async create(delivery, now) {
      const { deliveryId } = delivery;
      const reply = await runLuaScript<unknown[]>(
        redis,
        createDeliveryScript,
        [deliveryKeys.delivery(deliveryId), deliveryKeys.scheduled(deliveryId)],
        [
          deliveryId, delivery.packageId, delivery.orderId,
          delivery.pickup.lat, delivery.pickup.lon, delivery.dropoff.lat, delivery.dropoff.lon,
          now.toISOString(), now.getTime(), scheduledTtlSeconds,
        ],
      );
      const code = parseCode('createDelivery', reply[0], [0, 1, 2]);
      if (code === 0) return { outcome: 'expired' };
      return { outcome: code === 1 ? 'created' : 'exists', snapshot: parseSnapshot('createDelivery', reply[1]), unsent: parseSteps('createDelivery', reply[2]) };
    },

    async applyReading(reading, nowMs) {
      const reply = await runLuaScript<unknown[]>(redis, applyReadingScript, [deliveryKeys.delivery(reading.deliveryId)], [
        reading.seq, reading.at, reading.position.lat, reading.position.lon, reading.batteryPct, reading.speedMps,
        reading.droneId, phaseStatus(reading.phase), reading.phase === 'FAILED' ? (reading.failure ?? '') : '', nowMs,
      ]);
      const code = parseCode('applyReading', reply[0], [0, 1, 2]);
      if (code === 0) return { outcome: 'unknown' };
      return {
        outcome: code === 1 ? 'applied' : 'stale',
        snapshot: parseSnapshot('applyReading', reply[1]),
        unsent: parseSteps('applyReading', reply[2]),
      };
    },

    async failIfSilent(deliveryId, cutoffMs, now, reason, waitingCutoffMs = cutoffMs) {
      const reply = await runLuaScript<unknown[]>(redis, failSilentScript, [deliveryKeys.delivery(deliveryId)], [cutoffMs, now.toISOString(), reason, waitingCutoffMs]);
      const code = parseCode('failSilent', reply[0], [0, 1, 2, 3]);
      if (code === 0) return { outcome: 'unknown' };
      const outcome = code === 1 ? 'failed' : code === 2 ? 'terminal' : 'heard';
      return { outcome, snapshot: parseSnapshot('failSilent', reply[1]), unsent: parseSteps('failSilent', reply[2]) };
    },

    async markSent(deliveryId, statuses) {
      if (statuses.length > 0) await runLuaScript(redis, markSentScript, [deliveryKeys.delivery(deliveryId)], statuses);
    },

    async expire(deliveryId, retentionSeconds) {
      const reply = await runLuaScript<number>(redis, expireDeliveryScript, [deliveryKeys.delivery(deliveryId)], [retentionSeconds]);
      const outcomes: Record<number, ExpireResult> = { 1: 'expiry-set', 2: 'expiry-kept', [-1]: 'in-flight', 0: 'unknown' };
      const outcome = outcomes[Number(reply)];
      if (!outcome) throw new StoreReplyError('expireDelivery', String(reply));
      return outcome;
    },

    async get(deliveryId) {
      return parseDeliveryHash(replyRecord(await redis.sendCommand(['HGETALL', deliveryKeys.delivery(deliveryId)])));
    },
  };
}
