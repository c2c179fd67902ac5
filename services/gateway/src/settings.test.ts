import { describe, expect, it } from 'vitest';
import { gatewayDefaults, settingsFromEnv } from './settings.ts';

const keyed = { ADMIN_API_KEY: 'k' };

describe('settingsFromEnv', () => {
  it('has the documented defaults', () => {
    expect(settingsFromEnv(keyed)).toEqual({ ...gatewayDefaults, adminApiKey: 'k' });
    expect(gatewayDefaults).toEqual({
      rateLimit: { burst: 1_000, perSecond: 200 }, loginPerMinute: 20, adminApiKey: null,
      session: { ttlSeconds: 86_400, secureCookie: false, secret: null }, idempotencyTtlSeconds: 86_400, timelineScanLimit: 10_000,
    });
  });

  it('reads the environment', () => {
    expect(settingsFromEnv({ ...keyed, SESSION_COOKIE_SECURE: 'yes', SESSION_COOKIE_SECRET: 's', SESSION_TTL_SECONDS: '60', TIMELINE_SCAN_LIMIT: '5' }))
      .toMatchObject({ session: { ttlSeconds: 60, secureCookie: true, secret: 's' }, timelineScanLimit: 5 });
  });

  it('names the variable, the value and the rule when it refuses', () => {
    expect(() => settingsFromEnv({ ...keyed, RATE_LIMIT_BURST: '1.5' })).toThrow('RATE_LIMIT_BURST must be a whole number >= 1, got "1.5"');
    expect(() => settingsFromEnv({ ...keyed, RATE_LIMIT_PER_SECOND: '0' })).toThrow('RATE_LIMIT_PER_SECOND must be a number > 0, got "0"');
    expect(() => settingsFromEnv({ ...keyed, SESSION_COOKIE_SECURE: 'maybe' })).toThrow('SESSION_COOKIE_SECURE must be a flag (1/0, true/false, yes/no), got "maybe"');
  });
});
