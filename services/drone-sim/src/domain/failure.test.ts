import { describe, expect, it } from 'vitest';
import { failureOf, MAX_FAILURE_POINT, MIN_FAILURE_POINT } from './failure.ts';

const ids = Array.from({ length: 2_000 }, (_, index) => `delivery-${index}`);

describe('failureOf', () => {
  it('is a function of the delivery id and the seed', () => {
    const options = { rate: 0.5, seed: 'tributary' };
    expect(ids.map((id) => failureOf(id, options))).toEqual(ids.map((id) => failureOf(id, options)));
    const other = ids.map((id) => failureOf(id, { rate: 0.5, seed: 'another' }));
    expect(other).not.toEqual(ids.map((id) => failureOf(id, options)));
  });

  it('rate 0 never fails and rate 1 always fails', () => {
    expect(ids.every((id) => failureOf(id, { rate: 0, seed: 'tributary' }) === null)).toBe(true);
    expect(ids.every((id) => failureOf(id, { rate: 1, seed: 'tributary' }) !== null)).toBe(true);
  });

  it('fails about the given share, half by battery, half lost, always mid-flight', () => {
    const failures = ids.map((id) => failureOf(id, { rate: 0.05, seed: 'tributary' })).filter((failure) => failure !== null);
    // 2,000 fixed ids: the count is deterministic, the bounds only say "about 5 %".
    expect(failures.length).toBeGreaterThan(60);
    expect(failures.length).toBeLessThan(140);
    const all = ids.map((id) => failureOf(id, { rate: 1, seed: 'tributary' })).filter((failure) => failure !== null);
    const battery = all.filter((failure) => failure.kind === 'BATTERY_DEPLETED').length;
    expect(battery / all.length).toBeGreaterThan(0.45);
    expect(battery / all.length).toBeLessThan(0.55);
    expect(all.every((failure) => failure.point >= MIN_FAILURE_POINT && failure.point <= MAX_FAILURE_POINT)).toBe(true);
  });

  it('a lower rate fails a subset of what a higher rate fails', () => {
    const failing = (rate: number) => new Set(ids.filter((id) => failureOf(id, { rate, seed: 'tributary' })));
    const low = failing(0.1);
    const high = failing(0.3);
    expect([...low].every((id) => high.has(id))).toBe(true);
  });
});
