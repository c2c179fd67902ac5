import { describe, expect, it } from 'vitest';
import { createSeenIds } from './seen-ids.ts';

describe('createSeenIds', () => {
  it('remembers ids and forgets the oldest beyond the limit', () => {
    const seen = createSeenIds(2);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
    expect(seen.add('b')).toBe(true);
    expect(seen.add('c')).toBe(true);
    expect(seen.size).toBe(2);
    expect(seen.has('a')).toBe(false);
    expect(seen.has('b')).toBe(true);
    expect(seen.has('c')).toBe(true);
    expect(seen.add('a')).toBe(true);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => createSeenIds(0)).toThrow(RangeError);
    expect(() => createSeenIds(1.5)).toThrow(RangeError);
  });
});
