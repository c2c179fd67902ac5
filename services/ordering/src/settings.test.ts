import { describe, expect, it } from 'vitest';
import { readOrderingSettings } from './settings.ts';

describe('readOrderingSettings', () => {
  it('counts an order stuck after 15 minutes unless ORDER_STUCK_AFTER_MS says otherwise', () => {
    expect(readOrderingSettings({})).toEqual({ stuckAfterMs: 900_000 });
    expect(readOrderingSettings({ ORDER_STUCK_AFTER_MS: '60000' })).toEqual({ stuckAfterMs: 60_000 });
  });

  it('refuses what is not a whole number of milliseconds above 0', () => {
    for (const bad of ['0', '-1', '1.5', 'soon']) expect(() => readOrderingSettings({ ORDER_STUCK_AFTER_MS: bad })).toThrow(`ORDER_STUCK_AFTER_MS must be a whole number >= 1, got "${bad}"`);
  });
});
