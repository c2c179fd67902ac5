import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { defineEvent } from './streams/events.ts';

const Stamped = defineEvent({
  source: 'formats',
  type: 'Stamped',
  version: 1,
  schema: Type.Object({ at: Type.String({ format: 'date-time' }), day: Type.String({ format: 'date' }), id: Type.String({ format: 'uuid' }), to: Type.String({ format: 'email' }) }),
});
const valid = { at: '2026-11-23T13:45:00.123Z', day: '2026-11-23', id: '0af76519-16cd-43dd-8448-eb211c80319c', to: 'ada@example.com' };

describe('string formats in event schemas', () => {
  it('accept well-formed values', () => {
    expect(Stamped.validate(valid)).toBeNull();
    expect(Stamped.validate({ ...valid, at: '2026-11-23T13:45:00+01:00' })).toBeNull();
  });
  it.each([
    ['at', '23/11/2026'],
    ['at', '2026-13-45T99:00:00Z'],
    ['day', '2026-11-23T00:00:00Z'],
    ['id', 'not-a-uuid'],
    ['to', 'nobody'],
  ])('reject a malformed %s (%s)', (field, value) => {
    expect(Stamped.validate({ ...valid, [field]: value })).toMatch(field);
  });
});
