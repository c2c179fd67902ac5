import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import { replyRecord } from '../redis/replies.ts';
import { sampleNewTrace } from '../telemetry/sampling.ts';

/**
 * What travels in one stream entry. Flat string fields so `XRANGE` output
 * is readable by a person with redis-cli; only `data` is JSON.
 */
export interface Envelope<Data = unknown> {
  id: string;
  type: string;
  version: number;
  time: string;
  source: string;
  correlationId: string;
  causationId: string | null;
  /** W3C trace context: `00-<trace id>-<parent span id>-<flags>`. */
  traceparent: string;
  data: Data;
}

export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

// Trace and span ids come from a pool of random bytes refilled 4 KiB at a
// time: one `randomFillSync` per 170 traceparents instead of two UUIDs each
// (randomBytes per event was once the largest cost of publishing).
const POOL_SIZE = 4_096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

const randomSpanId = (): string => randomHex(8);

export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomSpanId()}-${sampleNewTrace() ? '01' : '00'}`;
}

/** Same trace, new span: what an event caused by another event carries. */
export function childTraceparent(parent: string): string {
  if (!TRACEPARENT.test(parent)) return newTraceparent();
  // `00-` + 32 hex trace id + `-` is 36 characters; the parent id is the next 16; `-<flags>` follows.
  return `${parent.slice(0, 36)}${randomSpanId()}${parent.slice(52)}`;
}

/**
 * A deterministic event id for an event caused by another one. A handler that
 * is redelivered after a crash re-publishes its output under the same id, and
 * consumers deduplicate it: exactly once in effect.
 */
export function deriveEventId(causationId: string, discriminator: string): string {
  const hex = createHash('sha256').update(`${causationId}\u0000${discriminator}`).digest('hex');
  // RFC 9562 version 8 (custom) UUID layout.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export function newEventId(): string {
  return randomUUID();
}

/** The stream entry's fields as the flat name/value list XADD takes. */
export function envelopeFields(envelope: Envelope): string[] {
  return xaddArgs(envelope, []);
}

/** `XADD <stream> * <fields>` of an envelope, built in one array (the publisher's hot path). */
export function xaddEnvelopeArgs(stream: string, envelope: Envelope): string[] {
  return xaddArgs(envelope, ['XADD', stream, '*']);
}

function xaddArgs(envelope: Envelope, head: string[]): string[] {
  head.push(
    'id', envelope.id,
    'type', envelope.type,
    'version', String(envelope.version),
    'time', envelope.time,
    'source', envelope.source,
    'correlationId', envelope.correlationId,
    'causationId', envelope.causationId ?? '',
    'traceparent', envelope.traceparent,
    'data', JSON.stringify(envelope.data),
  );
  return head;
}

export function encodeEnvelope(envelope: Envelope): Record<string, string> {
  const flat = envelopeFields(envelope);
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

const REQUIRED = ['id', 'type', 'version', 'time', 'source', 'correlationId', 'traceparent', 'data'] as const;

/** Parses a raw stream entry; never throws: a bad entry is a value to dead-letter. */
export function decodeEnvelope(fields: Record<string, string | undefined>): DecodeResult {
  return asResult(decodeParts(fields.id, fields.type, fields.version, fields.time, fields.source, fields.correlationId, fields.causationId, fields.traceparent, fields.data));
}

/** The field names of an entry the kit wrote, in the order `envelopeFields` writes them. */
const FIELD_ORDER = ['id', 'type', 'version', 'time', 'source', 'correlationId', 'causationId', 'traceparent', 'data'] as const;

/**
 * Parses an entry straight from the flat name/value list Redis returns, with
 * the same checks and reasons as `decodeEnvelope`: the envelope, or why it is
 * not one. An entry in the kit's own field order (every one it wrote) is
 * read by position, without building a field object; any other layout goes
 * through the field object.
 */
export function decodeEnvelopeFields(flat: readonly string[]): Envelope | string {
  if (isKitEntry(flat)) {
    return decodeParts(flat[1], flat[3], flat[5], flat[7], flat[9], flat[11], flat[13], flat[15], flat[17]);
  }
  const fields = replyRecord(flat);
  return decodeParts(fields.id, fields.type, fields.version, fields.time, fields.source, fields.correlationId, fields.causationId, fields.traceparent, fields.data);
}

function asResult(decoded: Envelope | string): DecodeResult {
  return typeof decoded === 'string' ? { ok: false, reason: decoded } : { ok: true, envelope: decoded };
}

/** True when an entry has exactly the envelope's fields in the order the kit writes them. */
export function isKitEntry(flat: readonly string[]): boolean {
  if (flat.length !== 2 * FIELD_ORDER.length) return false;
  for (let i = 0; i < FIELD_ORDER.length; i++) if (flat[2 * i] !== FIELD_ORDER[i]) return false;
  return true;
}

const present = (value: string | undefined): value is string => typeof value === 'string' && value !== '';

// Events published together share their millisecond, so their `time`: the
// last one found valid is not parsed again.
let lastValidTime = '';

function decodeParts(
  id: string | undefined,
  type: string | undefined,
  versionText: string | undefined,
  time: string | undefined,
  source: string | undefined,
  correlationId: string | undefined,
  causationId: string | undefined,
  traceparent: string | undefined,
  dataText: string | undefined,
): Envelope | string {
  if (!present(id)) return missing(0);
  if (!present(type)) return missing(1);
  if (!present(versionText)) return missing(2);
  if (!present(time)) return missing(3);
  if (!present(source)) return missing(4);
  if (!present(correlationId)) return missing(5);
  if (!present(traceparent)) return missing(6);
  if (!present(dataText)) return missing(7);
  const version = Number(versionText);
  if (!Number.isInteger(version) || version < 1) return `invalid version "${versionText}"`;
  if (time !== lastValidTime) {
    if (Number.isNaN(Date.parse(time))) return `invalid time "${time}"`;
    lastValidTime = time;
  }
  let data: unknown;
  try {
    data = JSON.parse(dataText);
  } catch (error) {
    return `data is not JSON: ${(error as Error).message}`;
  }
  return { id, type, version, time, source, correlationId, causationId: causationId ? causationId : null, traceparent, data };
}

function missing(index: number): string {
  return `missing field "${REQUIRED[index]}"`;
}
