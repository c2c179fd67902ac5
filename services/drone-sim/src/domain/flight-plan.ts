import type { Failure, FailureKind } from './failure.ts';
import { distanceKm, interpolate, type Point } from './geo.ts';

export type Phase = 'TO_PICKUP' | 'PICKED_UP' | 'IN_TRANSIT' | 'DELIVERED' | 'FAILED';

/** A healthy battery: 4 % per km, but never below the reserve on arrival (the drone was sized for the trip). */
export const DRAIN_PCT_PER_KM = 4;
export const RESERVE_PCT = 20;

export interface FlightInput {
  /** Where the drone is when it takes the job. */
  start: Point;
  pickup: Point;
  dropoff: Point;
  speedMps: number;
  /** Simulated seconds between two readings (tick length times time scale). */
  stepSeconds: number;
  failure: Failure | null;
}

/**
 * One flight, readings addressed by seq:
 *   TO_PICKUP  at 0, step, 2 step, ... before reaching the pickup (at least one, at `start`)
 *   PICKED_UP  once, at the pickup
 *   IN_TRANSIT at step, 2 step, ... after the pickup, before the dropoff
 *   DELIVERED  once, at the dropoff
 * A failure cuts the sequence at `failure.seq`: a battery death replaces that
 * reading with a FAILED one, a lost drone just has no readings from there on.
 */
export interface FlightPlan extends FlightInput {
  toPickupKm: number;
  inTransitKm: number;
  toPickupSeconds: number;
  inTransitSeconds: number;
  toPickupReadings: number;
  inTransitReadings: number;
  /** Readings actually sent: seq runs 0 .. length - 1. */
  length: number;
  outcome: 'DELIVERED' | FailureKind;
  failureSeq: number | null;
}

export interface PlannedReading {
  seq: number;
  phase: Phase;
  position: Point;
  batteryPct: number;
  speedMps: number;
  /** Simulated seconds since the drone took the job. */
  elapsedSeconds: number;
  failure?: FailureKind;
}

export function planFlight(input: FlightInput): FlightPlan {
  if (!(input.speedMps > 0) || !(input.stepSeconds > 0)) throw new RangeError('speedMps and stepSeconds must be positive');
  const toPickupKm = distanceKm(input.start, input.pickup);
  const inTransitKm = distanceKm(input.pickup, input.dropoff);
  const toPickupSeconds = (toPickupKm * 1_000) / input.speedMps;
  const inTransitSeconds = (inTransitKm * 1_000) / input.speedMps;
  const toPickupReadings = Math.max(1, Math.ceil(toPickupSeconds / input.stepSeconds));
  const inTransitReadings = Math.max(0, Math.ceil(inTransitSeconds / input.stepSeconds) - 1);
  const fullLength = toPickupReadings + inTransitReadings + 2;
  const plan: FlightPlan = {
    ...input, toPickupKm, inTransitKm, toPickupSeconds, inTransitSeconds, toPickupReadings, inTransitReadings,
    length: fullLength, outcome: 'DELIVERED', failureSeq: null,
  };
  if (input.failure) {
    const last = fullLength - 1;
    const failureSeq = Math.min(last, Math.max(1, Math.round(input.failure.point * last)));
    plan.failureSeq = failureSeq;
    plan.outcome = input.failure.kind;
    plan.length = input.failure.kind === 'BATTERY_DEPLETED' ? failureSeq + 1 : failureSeq;
  }
  return plan;
}

interface Fix {
  phase: Exclude<Phase, 'FAILED'>;
  position: Point;
  routeKm: number;
  elapsedSeconds: number;
  moving: boolean;
}

/** Where the healthy flight is at reading `seq`. */
function fixAt(plan: FlightPlan, seq: number): Fix {
  const step = plan.stepSeconds;
  const kmPerSecond = plan.speedMps / 1_000;
  if (seq < plan.toPickupReadings) {
    const elapsedSeconds = seq * step;
    const fraction = plan.toPickupSeconds > 0 ? elapsedSeconds / plan.toPickupSeconds : 0;
    const position = seq === 0 ? plan.start : interpolate(plan.start, plan.pickup, fraction);
    return { phase: 'TO_PICKUP', position, routeKm: elapsedSeconds * kmPerSecond, elapsedSeconds, moving: plan.toPickupSeconds > 0 };
  }
  if (seq === plan.toPickupReadings) {
    return { phase: 'PICKED_UP', position: plan.pickup, routeKm: plan.toPickupKm, elapsedSeconds: plan.toPickupSeconds, moving: false };
  }
  const inTransit = seq - plan.toPickupReadings;
  if (inTransit <= plan.inTransitReadings) {
    const seconds = inTransit * step;
    return {
      phase: 'IN_TRANSIT',
      position: interpolate(plan.pickup, plan.dropoff, seconds / plan.inTransitSeconds),
      routeKm: plan.toPickupKm + seconds * kmPerSecond,
      elapsedSeconds: plan.toPickupSeconds + seconds,
      moving: true,
    };
  }
  return {
    phase: 'DELIVERED', position: plan.dropoff, routeKm: plan.toPickupKm + plan.inTransitKm,
    elapsedSeconds: plan.toPickupSeconds + plan.inTransitSeconds, moving: false,
  };
}

const roundBattery = (pct: number) => Math.min(100, Math.max(0, Math.round(pct * 10) / 10));

/**
 * Battery after `routeKm`. A battery that is going to die drains so that it
 * reaches 0 at the failure reading; until then it shows at least 1 %, so the
 * only reading at 0 is the FAILED one.
 */
function batteryAt(plan: FlightPlan, routeKm: number): number {
  if (plan.outcome === 'BATTERY_DEPLETED' && plan.failureSeq !== null) {
    const deathKm = fixAt(plan, plan.failureSeq).routeKm;
    return deathKm > 0 ? Math.max(1, roundBattery(100 * (1 - routeKm / deathKm))) : 100;
  }
  const totalKm = plan.toPickupKm + plan.inTransitKm;
  const drain = totalKm > 0 ? Math.min(DRAIN_PCT_PER_KM, (100 - RESERVE_PCT) / totalKm) : 0;
  return roundBattery(100 - drain * routeKm);
}

/** Reading `seq` of the flight, or null past its end. Pure: the same plan and seq give the same reading. */
export function readingAt(plan: FlightPlan, seq: number): PlannedReading | null {
  if (!Number.isInteger(seq) || seq < 0 || seq >= plan.length) return null;
  const fix = fixAt(plan, seq);
  if (seq === plan.failureSeq && plan.outcome === 'BATTERY_DEPLETED') {
    return { seq, phase: 'FAILED', position: fix.position, batteryPct: 0, speedMps: 0, elapsedSeconds: fix.elapsedSeconds, failure: 'BATTERY_DEPLETED' };
  }
  return {
    seq,
    phase: fix.phase,
    position: fix.position,
    batteryPct: batteryAt(plan, fix.routeKm),
    speedMps: fix.moving ? plan.speedMps : 0,
    elapsedSeconds: fix.elapsedSeconds,
  };
}

/** Every reading of the flight, in order. */
export function flightReadings(plan: FlightPlan): PlannedReading[] {
  return Array.from({ length: plan.length }, (_, seq) => readingAt(plan, seq) as PlannedReading);
}

/** Where the drone ends up: the last reading's position (a lost drone is recovered where it went silent). */
export function finalPosition(plan: FlightPlan): Point {
  return (readingAt(plan, plan.length - 1) as PlannedReading).position;
}
