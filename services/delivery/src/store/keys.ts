/**
 * Every Redis key of the delivery store is built here and nowhere else. All
 * live in the service's own store Redis, under the prefix `delivery:`.
 *
 * A delivery's keys share the hash tag `{<deliveryId>}`, so its scripts run
 * on one Redis Cluster slot. The fleet-wide indexes (the geo set of drones
 * and the watchdog's deadline and queue sets) cannot share a slot with every delivery:
 * they share the tag `{fleet}` instead, and are kept in step by a second
 * script call (`syncFleet-3.lua`) guarded by the reading's seq. The price in
 * a cluster: the fleet indexes live on one node, and between the two calls
 * they lag the delivery hash by a moment (the hash is the truth; readers of
 * the indexes check it).
 */
export const SERVICE = 'delivery';
const PREFIX = `${SERVICE}:`;

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
  /** Geo set: member = deliveryId, at the drone's last applied position; deliveries in flight only. */
  drones: (): string => `${PREFIX}{fleet}:drones`,
  /**
   * Sorted set, the watchdog's deadline index: member = deliveryId, score =
   * when (ms, service clock) the watchdog must next judge it: created + the
   * drone wait limit while no drone has reported, last heard + the silence
   * timeout once one has. Deliveries in flight only.
   */
  due: (): string => `${PREFIX}{fleet}:due`,
  /** Sorted set, the queue for a drone: member = deliveryId, score = created (ms); deliveries no drone has reported on yet. */
  waiting: (): string => `${PREFIX}{fleet}:waiting`,
  /** The last-heard sorted set of earlier versions: adopted into `due` once at start (see fleet.ts `adoptLegacyIndex`). */
  legacyHeard: (): string => `${PREFIX}{fleet}:heard`,
  /** String with a TTL: the seq last written to the fleet indexes for a delivery, or `done` once it ended. */
  flight: (deliveryId: string): string => `${PREFIX}{fleet}:flight:${deliveryId}`,
} as const;

/** How long the scheduled marker is kept: far longer than any redelivery or replay window. */
export const SCHEDULED_TTL_SECONDS = 7 * 24 * 60 * 60;

/** How long a fleet marker outlives its last write: longer than any flight, so a finished one stays `done`. */
export const FLIGHT_TTL_SECONDS = 24 * 60 * 60;

/**
 * The fields every delivery script replies with after its change, in this
 * order (the scripts' `SNAPSHOT` lists; parsed by `replies.ts`).
 */
export const SNAPSHOT_FIELDS = ['status', 'seq', 'heardAt', 'lat', 'lon', 'droneId', 'batteryPct', 'packageId', 'orderId', 'reason', 'createdAt'] as const;
