import { describe, expect, it } from 'vitest';
import { droneSimDefaults, readDroneSimConfig, stepSeconds, validateDroneSimConfig } from './config.ts';

describe('drone-sim config', () => {
  it('has the documented defaults and reads every variable', () => {
    expect(readDroneSimConfig({})).toEqual({
      fleetSize: 10, idPrefix: 'drone', speedMps: 20, tickMs: 500, timeScale: 10, failureRate: 0.05, seed: 'tributary', queuePerDrone: 100, seenLimit: 100_000,
    });
    expect(readDroneSimConfig({ DRONE_FLEET_SIZE: ' ', DRONE_SEED: '' })).toEqual(droneSimDefaults);
    expect(readDroneSimConfig({
      DRONE_FLEET_SIZE: '3', DRONE_ID_PREFIX: 'east', DRONE_SPEED_MPS: '12.5', DRONE_TICK_MS: '100', DRONE_TIME_SCALE: '200',
      DRONE_FAILURE_RATE: '1', DRONE_SEED: 'demo', DRONE_SEEN_LIMIT: '50', DRONE_QUEUE_PER_DRONE: '7',
    })).toEqual({ fleetSize: 3, idPrefix: 'east', speedMps: 12.5, tickMs: 100, timeScale: 200, failureRate: 1, seed: 'demo', seenLimit: 50, queuePerDrone: 7 });
    expect(stepSeconds(droneSimDefaults)).toBe(5);
  });

  it('refuses values that would break the simulation, naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ DRONE_FLEET_SIZE: '0' }, /DRONE_FLEET_SIZE/],
      [{ DRONE_FLEET_SIZE: '2.5' }, /DRONE_FLEET_SIZE/],
      [{ DRONE_SPEED_MPS: '0' }, /DRONE_SPEED_MPS/],
      [{ DRONE_SPEED_MPS: '201' }, /DRONE_SPEED_MPS/],
      [{ DRONE_TICK_MS: 'fast' }, /DRONE_TICK_MS/],
      [{ DRONE_TIME_SCALE: '-1' }, /DRONE_TIME_SCALE/],
      [{ DRONE_FAILURE_RATE: '1.5' }, /DRONE_FAILURE_RATE/],
      [{ DRONE_FAILURE_RATE: 'NaN' }, /DRONE_FAILURE_RATE/],
      [{ DRONE_ID_PREFIX: 'drone 1' }, /DRONE_ID_PREFIX/],
      [{ DRONE_SEEN_LIMIT: '0' }, /DRONE_SEEN_LIMIT/],
      [{ DRONE_QUEUE_PER_DRONE: '0' }, /DRONE_QUEUE_PER_DRONE/],
    ];
    for (const [env, message] of bad) expect(() => readDroneSimConfig(env), JSON.stringify(env)).toThrow(message);
    expect(() => validateDroneSimConfig({ ...droneSimDefaults, seed: '' })).toThrow(/DRONE_SEED/);
    expect(() => readDroneSimConfig({ DRONE_SPEED_MPS: '201' })).toThrow('DRONE_SPEED_MPS must be a number > 0 and <= 200, got "201"');
  });
});
