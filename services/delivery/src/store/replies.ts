import { DELIVERY_FAILURE_REASONS, DELIVERY_STATUSES, type DeliveryStatus } from '@tributary/contracts';
import { replyPairs } from 'tributary';
import type { DeliveryStep, FailureReason } from '../domain/delivery.ts';
import type { Point } from '../domain/geo.ts';
import { SNAPSHOT_FIELDS } from './keys.ts';

/**
 * What the delivery scripts reply, checked here in one place: the store is
 * another process, and a reply we do not understand must fail loudly rather
 * than publish a wrong event.
 */
export interface Snapshot {
  status: DeliveryStatus;
  seq: number;
  heardAtMs: number;
  position: Point | null;
  droneId: string | null;
  batteryPct: number | null;
  packageId: string;
  orderId: string;
  reason: FailureReason | null;
  createdAt: string;
}

export class StoreReplyError extends Error {
  constructor(script: string, detail: string) {
    super(`${script} replied something unexpected: ${detail}`);
    this.name = 'StoreReplyError';
  }
}

const STATUSES: ReadonlySet<string> = new Set(DELIVERY_STATUSES);
const REASONS: ReadonlySet<string> = new Set(DELIVERY_FAILURE_REASONS);

export function parseStatus(value: unknown): DeliveryStatus | null {
  return typeof value === 'string' && STATUSES.has(value) ? (value as DeliveryStatus) : null;
}

export function parseReason(value: unknown): FailureReason | null {
  return typeof value === 'string' && REASONS.has(value) ? (value as FailureReason) : null;
}

/** A finite number from a stored string; null for absent or empty. */
export function parseNumber(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export function parsePoint(lat: unknown, lon: unknown): Point | null {
  const latitude = parseNumber(lat);
  const longitude = parseNumber(lon);
  return latitude === null || longitude === null ? null : { lat: latitude, lon: longitude };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

const SNAPSHOT_INDEX = Object.fromEntries(SNAPSHOT_FIELDS.map((name, index) => [name, index])) as Record<(typeof SNAPSHOT_FIELDS)[number], number>;

// Runs once per reading at telemetry rates: plain indexing, no closures.
export function parseSnapshot(script: string, raw: unknown): Snapshot {
  if (!Array.isArray(raw) || raw.length !== SNAPSHOT_FIELDS.length) throw new StoreReplyError(script, 'snapshot of the wrong shape');
  const status = parseStatus(raw[SNAPSHOT_INDEX.status]);
  const seq = parseNumber(raw[SNAPSHOT_INDEX.seq]);
  const heardAtMs = parseNumber(raw[SNAPSHOT_INDEX.heardAt]);
  const packageId = text(raw[SNAPSHOT_INDEX.packageId]);
  const orderId = text(raw[SNAPSHOT_INDEX.orderId]);
  const createdAt = text(raw[SNAPSHOT_INDEX.createdAt]);
  if (status === null || seq === null || heardAtMs === null || packageId === null || orderId === null || createdAt === null) {
    throw new StoreReplyError(script, `incomplete delivery ${JSON.stringify(raw)}`);
  }
  return {
    status,
    seq,
    heardAtMs,
    position: parsePoint(raw[SNAPSHOT_INDEX.lat], raw[SNAPSHOT_INDEX.lon]),
    droneId: text(raw[SNAPSHOT_INDEX.droneId]),
    batteryPct: parseNumber(raw[SNAPSHOT_INDEX.batteryPct]),
    packageId,
    orderId,
    reason: parseReason(raw[SNAPSHOT_INDEX.reason]),
    createdAt,
  };
}

/** `unsent` of the delivery scripts: flat status/at pairs. */
export function parseSteps(script: string, raw: unknown): DeliveryStep[] {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) throw new StoreReplyError(script, 'steps of the wrong shape');
  return replyPairs(raw).map(([rawStatus, rawAt]) => {
    const status = parseStatus(rawStatus);
    const at = text(rawAt);
    if (status === null || at === null) throw new StoreReplyError(script, `bad step ${rawStatus}`);
    return { status, at };
  });
}

/** The `code` every script replies first. */
export function parseCode(script: string, raw: unknown, allowed: readonly number[]): number {
  const code = Number(raw);
  if (!allowed.includes(code)) throw new StoreReplyError(script, `code ${String(raw)}`);
  return code;
}
