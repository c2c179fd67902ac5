import { failureOf } from './failure.ts';
import { planFlight, readingAt, type FlightPlan, type PlannedReading } from './flight-plan.ts';
import { distanceKm, type Point } from './geo.ts';
import { createSeenIds } from './seen-ids.ts';

export interface Job<Cause> {
  deliveryId: string;
  pickup: Point;
  dropoff: Point;
  /** Whatever the caller needs to answer the job (the DeliveryScheduled envelope). */
  cause: Cause;
}

export interface FleetOptions {
  size: number;
  /** Drone ids are `<idPrefix>-1` .. `<idPrefix>-<size>`. */
  idPrefix: string;
  speedMps: number;
  /** Simulated seconds between two readings of a flight. */
  stepSeconds: number;
  failureRate: number;
  seed: string;
  /** How many delivery ids are remembered to refuse a second flight. */
  seenLimit: number;
  /**
   * Jobs waiting for a free drone, at most. Ten drones at the default time
   * scale fly about twelve deliveries a minute: a queue of thousands would
   * never be flown before delivery gives up on them, and held 0.7 KB of heap
   * each (docs/benchmarks.md, Memory).
   */
  queueLimit: number;
}

interface Flight<Cause> {
  job: Job<Cause>;
  plan: FlightPlan;
  /** Seq of the next reading to send. */
  next: number;
}

interface Drone<Cause> {
  id: string;
  /** Null until its first job: a drone starts where its first job is picked up. */
  position: Point | null;
  flight: Flight<Cause> | null;
}

/** A reading to send now; hand it back to commit() once it is written. */
export interface DueReading<Cause> {
  droneId: string;
  deliveryId: string;
  cause: Cause;
  reading: PlannedReading;
  /** Identity of the flight, so commit() ignores a reading of a flight that is gone. */
  readonly flight: object;
}

export interface FleetSnapshot {
  drones: Array<{ droneId: string; busy: boolean; deliveryId: string | null; position: Point | null }>;
  queued: number;
}

/** `refused`: every drone busy and the queue full; the job is dropped (delivery's wait for a drone runs out). */
export type AcceptOutcome = 'started' | 'queued' | 'duplicate' | 'refused';

export interface Fleet<Cause> {
  /** Takes a job: flies it on a free drone, queues it (FIFO) while every drone is busy, or refuses it when the queue is full. */
  accept(job: Job<Cause>): AcceptOutcome;
  /**
   * Takes a job out of the queue (delivery gave up on it: NO_DRONE_AVAILABLE),
   * so no drone flies a delivery that already failed. A flight in the air is
   * left to finish. Returns whether it was queued.
   */
  withdraw(deliveryId: string): boolean;
  /** One reading per flying drone: the next of its flight. Changes nothing. */
  due(): Array<DueReading<Cause>>;
  /** Records readings as sent: drones move, finished flights free their drone, queued jobs take off. */
  commit(sent: Array<DueReading<Cause>>): void;
  snapshot(): FleetSnapshot;
}

/**
 * The simulated fleet, as plain state driven from outside: no clock, no
 * timers, no I/O, so the simulator decides when a tick happens and the
 * state only moves for readings that were actually published.
 */
export function createFleet<Cause>(options: FleetOptions): Fleet<Cause> {
  const drones: Array<Drone<Cause>> = Array.from({ length: options.size }, (_, index) => ({
    id: `${options.idPrefix}-${index + 1}`,
    position: null,
    flight: null,
  }));
  const byId = new Map(drones.map((drone) => [drone.id, drone]));
  const queue: Array<Job<Cause>> = [];
  const seen = createSeenIds(options.seenLimit);

  /** The free drone closest to the pickup (one that never flew counts as there); lowest number on a tie. */
  function nearestFree(pickup: Point): Drone<Cause> | null {
    let best: Drone<Cause> | null = null;
    let bestKm = Infinity;
    for (const drone of drones) {
      if (drone.flight) continue;
      const km = drone.position ? distanceKm(drone.position, pickup) : 0;
      if (km < bestKm) {
        best = drone;
        bestKm = km;
      }
    }
    return best;
  }

  function takeOff(drone: Drone<Cause>, job: Job<Cause>) {
    const start = drone.position ?? job.pickup;
    drone.position = start;
    const plan = planFlight({
      start,
      pickup: job.pickup,
      dropoff: job.dropoff,
      speedMps: options.speedMps,
      stepSeconds: options.stepSeconds,
      failure: failureOf(job.deliveryId, { rate: options.failureRate, seed: options.seed }),
    });
    drone.flight = { job, plan, next: 0 };
  }

  function dispatch() {
    while (queue.length > 0) {
      const drone = nearestFree((queue[0] as Job<Cause>).pickup);
      if (!drone) return;
      takeOff(drone, queue.shift() as Job<Cause>);
    }
  }

  return {
    accept(job) {
      if (seen.has(job.deliveryId)) return 'duplicate';
      if (queue.length >= options.queueLimit && nearestFree(job.pickup) === null) return 'refused';
      seen.add(job.deliveryId);
      queue.push(job);
      dispatch();
      // FIFO: if anything is left, the job just pushed (the last) is among it.
      return queue.length > 0 ? 'queued' : 'started';
    },

    withdraw(deliveryId) {
      const index = queue.findIndex((job) => job.deliveryId === deliveryId);
      if (index < 0) return false;
      queue.splice(index, 1);
      return true;
    },

    due() {
      const readings: Array<DueReading<Cause>> = [];
      for (const drone of drones) {
        const flight = drone.flight;
        if (!flight) continue;
        const reading = readingAt(flight.plan, flight.next);
        if (!reading) continue;
        readings.push({ droneId: drone.id, deliveryId: flight.job.deliveryId, cause: flight.job.cause, reading, flight });
      }
      return readings;
    },

    commit(sent) {
      for (const item of sent) {
        const drone = byId.get(item.droneId);
        const flight = drone?.flight;
        if (!drone || !flight || flight !== item.flight || flight.next !== item.reading.seq) continue;
        drone.position = item.reading.position;
        flight.next += 1;
        // A failed drone (battery swapped, lost one found) is back in service where it came down.
        if (flight.next >= flight.plan.length) drone.flight = null;
      }
      dispatch();
    },

    snapshot() {
      return {
        drones: drones.map((drone) => ({
          droneId: drone.id,
          busy: drone.flight !== null,
          deliveryId: drone.flight?.job.deliveryId ?? null,
          position: drone.position,
        })),
        queued: queue.length,
      };
    },
  };
}
