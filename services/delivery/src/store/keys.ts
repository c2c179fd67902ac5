import { keySlot } from 'tributary';
import type { DeadlineRule } from '../domain/deadline.ts';

/**
 * Every Redis key of the delivery store is built here and nowhere else. All
 * live in the service's own store Redis, under the prefix `delivery:`.
 *
 * A delivery's keys share the hash tag `{<deliveryId>}`, so its scripts run
 * on one Redis Cluster slot. The fleet-wide indexes (the geo set of drones,
 * the watchdog's deadline index, the queue for a drone) cannot share a slot
 * with every delivery: they are split into FLEET_SHARDS shards, tagged
 * `{fleet:<n>}`, and a delivery's entries and its fleet marker are in the
 * shard its id hashes to (`fleetShard`), so one script keeps them in step
 * (`syncFleet-4.lua`, a second call guarded by the reading's seq). Readers of
 * the whole fleet ask every shard and merge (fleet.ts). The price: between
 * the two calls the indexes lag the delivery hash by a moment (the hash is
 * the truth; readers of the indexes check it).
 */
export const SERVICE = 'delivery';
const PREFIX = `${SERVICE}:`;

/**
 * How many shards the fleet indexes are split into: enough to spread them
 * over a cluster of up to this many primaries, few enough that a reader of
 * the whole fleet asks every shard in one pipeline. A constant: a different
 * count would put deliveries in other shards, which needs a re-index.
 */
export const FLEET_SHARDS = 16;

/** The fleet shard of a delivery: stable, from the CRC16 Redis Cluster uses. */
export function fleetShard(deliveryId: string): number {
  return keySlot(deliveryId) % FLEET_SHARDS;
}

/**
 * The fleet indexes of versions before they were sharded, all under one
 * tag: adopted into the shards once at start (fleet.ts `adoptLegacyIndex`).
 */
export const legacyFleetKeys = {
  drones: (): string => `${PREFIX}{fleet}:drones`,
  due: (): string => `${PREFIX}{fleet}:due`,
  waiting: (): string => `${PREFIX}{fleet}:waiting`,
  /** The last-heard sorted set of versions before the deadline index: joins `due`. */
  heard: (): string => `${PREFIX}{fleet}:heard`,
  flightPattern: (): string => `${PREFIX}{fleet}:flight:*`,
} as const;

export const deliveryKeys = {
  /**
   * Hash: `deliveryId packageId orderId status reason seq droneId lat lon
   * batteryPct speedMps lastAt pickupLat pickupLon dropoffLat dropoffLon
   * createdAt updatedAt heardAt`, and per step reached `step:<STATUS>` (when)
   * and, once its DeliveryStatusChanged is published, `sent:<STATUS>`.
   */
  delivery: (deliveryId: string): string => `${PREFIX}{${deliveryId}}`,
  /**
   * String with a TTL: the delivery was scheduled once. Outlives the hash, so
   * a PackageCreated replayed after the delivery expired does not fly the
   * package again.
   */
  scheduled: (deliveryId: string): string => `${PREFIX}{${deliveryId}}:scheduled`,
  /** Geo set of one shard: member = deliveryId, at the drone's last applied position; deliveries in flight only. */
  drones: (shard: number): string => `${PREFIX}{fleet:${shard}}:drones`,
  /**
   * Sorted set of one shard, the watchdog's deadline index: member =
   * deliveryId, score = when (ms, service clock) the watchdog must next judge
   * it: created + the drone wait limit while no drone has reported, last
   * heard + the silence timeout once one has. Deliveries in flight only.
   */
  due: (shard: number): string => `${PREFIX}{fleet:${shard}}:due`,
  /** Sorted set of one shard, the queue for a drone: member = deliveryId, score = created (ms); deliveries no drone has reported on yet. */
  waiting: (shard: number): string => `${PREFIX}{fleet:${shard}}:waiting`,
  /** String with a TTL: the seq last written to the fleet indexes for a delivery, or `done` once it ended; in the delivery's shard. */
  flight: (deliveryId: string): string => `${PREFIX}{fleet:${fleetShard(deliveryId)}}:flight:${deliveryId}`,
} as const;

/** How long the scheduled marker is kept: far longer than any redelivery or replay window. */
export const SCHEDULED_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * How long a fleet marker outlives its last write, at least. `done` only has
 * to outlast a late second call: one whose delivery script replied before
 * the delivery ended, held up between its two calls (seconds; a process
 * paused for longer still does no lasting harm: the watchdog takes a finished
 * delivery out of the index at its deadline). A live delivery's marker is
 * rewritten at every reading; `flightMarkerTtlSeconds` keeps it past the
 * longest gap between two writes too. An hour, not the day it was until
 * 2026-12-06: a marker per delivery for a day is 1.5 GB of the store Redis
 * at 150 orders a second.
 */
export const FLIGHT_TTL_SECONDS = 60 * 60;

/** The fleet marker's TTL under a deadline rule: an hour, or twice the longest a live delivery goes unwritten. */
export function flightMarkerTtlSeconds(rule: DeadlineRule): number {
  return Math.max(FLIGHT_TTL_SECONDS, Math.ceil((2 * Math.max(rule.silenceTimeoutMs, rule.droneWaitTimeoutMs)) / 1000));
}

/**
 * The fields every delivery script replies with after its change, in this
 * order (the scripts' `SNAPSHOT` lists; parsed by `replies.ts`).
 */
export const SNAPSHOT_FIELDS = ['status', 'seq', 'heardAt', 'lat', 'lon', 'droneId', 'batteryPct', 'packageId', 'orderId', 'reason', 'createdAt'] as const;
