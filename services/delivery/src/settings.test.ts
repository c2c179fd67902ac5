import { describe, expect, it } from 'vitest';
import { deliverySettingsDefaults, readDeliverySettings } from './settings.ts';

describe('readDeliverySettings', () => {
  it('has the documented defaults', () => {
    expect(readDeliverySettings({})).toEqual({ silenceTimeoutMs: 60_000, droneWaitTimeoutMs: 600_000, watchdogIntervalMs: 5_000, watchdogBatch: 200, retentionSeconds: 120 });
    expect(readDeliverySettings({})).toEqual(deliverySettingsDefaults);
  });

  it('reads the environment', () => {
    expect(readDeliverySettings({ DELIVERY_SILENCE_TIMEOUT_MS: '1500', DELIVERY_WATCHDOG_INTERVAL_MS: '250', DELIVERY_RETENTION_SECONDS: '60', DELIVERY_WATCHDOG_BATCH: '50' }))
      .toEqual({ silenceTimeoutMs: 1_500, droneWaitTimeoutMs: 600_000, watchdogIntervalMs: 250, watchdogBatch: 50, retentionSeconds: 60 });
  });

  it('refuses what is not a positive whole number', () => {
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      expect(() => readDeliverySettings({ DELIVERY_RETENTION_SECONDS: bad })).toThrow(`DELIVERY_RETENTION_SECONDS must be a whole number >= 1, got "${bad}"`);
    }
  });
});
