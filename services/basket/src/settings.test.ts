import { describe, expect, it } from 'vitest';
import { DEFAULT_BASKET_TTL_SECONDS } from './app.ts';
import { readBasketSettings } from './settings.ts';

describe('readBasketSettings', () => {
  it('keeps a basket 7 days unless BASKET_TTL_SECONDS says otherwise', () => {
    expect(readBasketSettings({})).toEqual({ ttlSeconds: 604_800 });
    expect(DEFAULT_BASKET_TTL_SECONDS).toBe(604_800);
    expect(readBasketSettings({ BASKET_TTL_SECONDS: '' })).toEqual({ ttlSeconds: 604_800 });
    expect(readBasketSettings({ BASKET_TTL_SECONDS: '60' })).toEqual({ ttlSeconds: 60 });
  });

  it('refuses what is not a positive whole number', () => {
    for (const bad of ['0', '-1', '2.5', 'week']) expect(() => readBasketSettings({ BASKET_TTL_SECONDS: bad })).toThrow(`BASKET_TTL_SECONDS must be a whole number >= 1, got "${bad}"`);
  });
});
