import { describe, expect, it } from 'vitest';
import { lendingSettingsDefaults, readCrashStep, readLendingSettings } from './settings.ts';

const base = { SHELVING_URL: 'http://127.0.0.1:4010/' };

describe('readLendingSettings', () => {
  it('has the documented defaults', () => {
    expect(readLendingSettings(base)).toEqual({ ...lendingSettingsDefaults, shelvingUrl: 'http://127.0.0.1:4010' });
    expect(lendingSettingsDefaults).toMatchObject({ maxBooksPerUser: 5, storageCapacity: 20, shelvingAttempts: 3, shelvingBackoffMs: 100, outcomeTtlSeconds: 604_800 });
  });

  it('reads the environment', () => {
    expect(readLendingSettings({
      ...base,
      LENDING_MAX_BOOKS_PER_USER: '2', LENDING_STORAGE_CAPACITY: '0', LENDING_SHELVING_ATTEMPTS: '5',
      LENDING_OUTCOME_TTL_SECONDS: '60', LENDING_CLAIM_IDLE_MS: '500',
    })).toMatchObject({ maxBooksPerUser: 2, storageCapacity: 0, shelvingAttempts: 5, outcomeTtlSeconds: 60, claimIdleMs: 500 });
    expect(readLendingSettings({ ...base, SHELVING_URLS: 'http://127.0.0.1:4010/, http://127.0.0.1:4011' }).shelvingUrls).toEqual(['http://127.0.0.1:4010', 'http://127.0.0.1:4011']);
    expect(() => readLendingSettings({ ...base, SHELVING_URLS: 'http://127.0.0.1:4010,ftp://x' })).toThrow(/SHELVING_URLS/);
  });

  it('refuses what is not a whole number in range', () => {
    for (const bad of ['0', '-5', '1.5', 'many']) {
      expect(() => readLendingSettings({ ...base, LENDING_MAX_BOOKS_PER_USER: bad })).toThrow(`LENDING_MAX_BOOKS_PER_USER must be a whole number >= 1, got "${bad}"`);
    }
    expect(() => readLendingSettings({ ...base, LENDING_STORAGE_CAPACITY: '-1' })).toThrow('LENDING_STORAGE_CAPACITY must be a whole number >= 0, got "-1"');
    expect(() => readLendingSettings({ ...base, LENDING_CLAIM_IDLE_MS: '10' })).toThrow('LENDING_CLAIM_IDLE_MS must be a whole number >= 100, got "10"');
  });

  it('needs an http URL for shelving', () => {
    expect(() => readLendingSettings({})).toThrow(/SHELVING_URL is not set/);
    expect(() => readLendingSettings({ SHELVING_URL: 'redis://x' })).toThrow(/SHELVING_URL/);
    expect(() => readLendingSettings({ SHELVING_URL: 'not a url' })).toThrow(/SHELVING_URL/);
  });
});

describe('readCrashStep', () => {
  it('is honoured only with TRIBUTARY_TEST_HOOKS=1', () => {
    expect(readCrashStep({ LENDING_TEST_CRASH_AT: 'limit-checked' })).toBeNull();
    expect(readCrashStep({ LENDING_TEST_CRASH_AT: 'limit-checked', TRIBUTARY_TEST_HOOKS: '1' })).toBe('limit-checked');
    expect(readCrashStep({ TRIBUTARY_TEST_HOOKS: '1' })).toBeNull();
    expect(() => readCrashStep({ LENDING_TEST_CRASH_AT: 'nowhere', TRIBUTARY_TEST_HOOKS: '1' })).toThrow(/LENDING_TEST_CRASH_AT/);
  });
});
