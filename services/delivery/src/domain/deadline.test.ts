import { describe, expect, it } from 'vitest';
import { nextDeadline } from './deadline.ts';

const rule = { silenceTimeoutMs: 60_000, droneWaitTimeoutMs: 600_000 };

describe('nextDeadline', () => {
  it('a delivery waiting for a drone is due at creation + the wait limit', () => {
    expect(nextDeadline({ seq: -1, heardAtMs: 1_000 }, rule)).toBe(601_000);
  });
  it('once a drone reported, at last heard + the silence timeout, earlier than the wait limit may be', () => {
    expect(nextDeadline({ seq: 0, heardAtMs: 2_000 }, rule)).toBe(62_000);
  });
});
