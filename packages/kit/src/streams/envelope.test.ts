import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  decodeEnvelope,
  deriveEventId,
  encodeEnvelope,
  newEventId,
  newTraceparent,
  type Envelope,
} from './envelope.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function sample(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: newEventId(),
    type: 'OrderPlaced',
    version: 2,
    time: '2024-05-01T12:00:00.000Z',
    source: 'shop',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    traceparent: newTraceparent(),
    data: { orderId: 'o-1', items: [{ sku: 'a', quantity: 2 }], note: 'ünïcödé "quoted"', nothing: null },
    ...overrides,
  };
}

describe('envelope encoding', () => {
  it('round-trips every field through flat string fields', () => {
    const envelope = sample();
    const fields = encodeEnvelope(envelope);
    for (const value of Object.values(fields)) expect(typeof value).toBe('string');
    expect(fields.version).toBe('2');
    const decoded = decodeEnvelope(fields);
    expect(decoded).toEqual({ ok: true, envelope });
  });

  it('round-trips a null causation id (encoded as an empty string)', () => {
    const envelope = sample({ causationId: null });
    const fields = encodeEnvelope(envelope);
    expect(fields.causationId).toBe('');
    expect(decodeEnvelope(fields)).toEqual({ ok: true, envelope });
  });

  it('round-trips scalar payloads', () => {
    for (const data of [0, false, 'text', [], {}]) {
      const envelope = sample({ data });
      expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual({ ok: true, envelope });
    }
  });
});

describe('envelope decoding rejects bad entries without throwing', () => {
  const good = encodeEnvelope(sample());

  it.each(['id', 'type', 'version', 'time', 'source', 'correlationId', 'traceparent', 'data'])('missing %s', (name) => {
    const fields: Record<string, string> = { ...good };
    delete fields[name];
    const result = decodeEnvelope(fields);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(name);
    // An empty value is as bad as a missing one.
    const empty = decodeEnvelope({ ...good, [name]: '' });
    expect(empty.ok).toBe(false);
  });

  it('an empty entry (e.g. a deleted one)', () => {
    expect(decodeEnvelope({}).ok).toBe(false);
  });

  it('data that is not JSON', () => {
    const result = decodeEnvelope({ ...good, data: '{not json' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/JSON/);
  });

  it.each(['abc', '0', '-1', '1.5', 'NaN'])('version %s', (version) => {
    const result = decodeEnvelope({ ...good, version });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/version/);
  });

  it('a time that is not a date', () => {
    const result = decodeEnvelope({ ...good, time: 'yesterday-ish' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/time/);
  });
});

describe('event ids', () => {
  it('deriveEventId is deterministic and depends on both inputs', () => {
    const cause = newEventId();
    expect(deriveEventId(cause, 'PaymentReserved')).toBe(deriveEventId(cause, 'PaymentReserved'));
    expect(deriveEventId(cause, 'PaymentReserved')).not.toBe(deriveEventId(cause, 'PaymentFailed'));
    expect(deriveEventId(newEventId(), 'PaymentReserved')).not.toBe(deriveEventId(cause, 'PaymentReserved'));
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(deriveEventId('ab', 'c')).not.toBe(deriveEventId('a', 'bc'));
  });

  it('deriveEventId has the shape of an RFC 9562 version 8 UUID', () => {
    for (let i = 0; i < 200; i++) {
      const id = deriveEventId(newEventId(), `d${i}`);
      expect(id).toMatch(UUID);
      expect(id[14]).toBe('8');
    }
  });

  it('newEventId is a random UUID', () => {
    const id = newEventId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newEventId()).not.toBe(id);
  });
});

describe('trace context', () => {
  it('newTraceparent is a valid W3C traceparent', () => {
    expect(newTraceparent()).toMatch(TRACEPARENT);
  });

  it('childTraceparent keeps the trace id and flags and makes a new, valid parent id', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const child = childTraceparent(parent);
    expect(child).toMatch(TRACEPARENT);
    const [version, traceId, spanId, flags] = child.split('-');
    expect(version).toBe('00');
    expect(traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
    // A grandchild is still in the same trace.
    expect(childTraceparent(child).split('-')[1]).toBe(traceId);
  });

  it('childTraceparent of something invalid starts a fresh, valid trace', () => {
    const child = childTraceparent('garbage');
    expect(child).toMatch(TRACEPARENT);
  });
});
