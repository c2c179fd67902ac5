import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { sampleNewTrace, setSampleRatio } from './sampling.ts';
import { DEFAULT_MAX_TRACES_PER_SECOND, parseMaxTracesPerSecond } from './tracing.ts';

// The decision for traces that start here, without OpenTelemetry installed: the same function its root sampler asks.
describe('the cap on new traces per second', () => {
  afterEach(() => setSampleRatio(1));

  it('records a second\'s worth at once, then nothing until the bucket refills', async () => {
    setSampleRatio(1, 3);
    expect([sampleNewTrace(), sampleNewTrace(), sampleNewTrace(), sampleNewTrace(), sampleNewTrace()]).toEqual([true, true, true, false, false]);
    // A token comes back after a third of a second at 3 a second.
    await waitFor(() => sampleNewTrace(), { description: 'a trace recorded again' });
  });

  it('applies after the ratio: with ratio 0 nothing is recorded, with no cap everything the ratio lets through', () => {
    setSampleRatio(0, 100);
    expect(Array.from({ length: 10 }, () => sampleNewTrace())).not.toContain(true);
    setSampleRatio(1, 0);
    expect(Array.from({ length: 1_000 }, () => sampleNewTrace())).not.toContain(false);
  });

  it('is read from TRIBUTARY_TRACE_MAX_PER_SECOND: unset is the default, 0 is no cap, anything else not a number ≥ 0 is refused', () => {
    expect(parseMaxTracesPerSecond(undefined)).toBe(DEFAULT_MAX_TRACES_PER_SECOND);
    expect(parseMaxTracesPerSecond(' ')).toBe(DEFAULT_MAX_TRACES_PER_SECOND);
    expect(parseMaxTracesPerSecond('0')).toBe(0);
    expect(parseMaxTracesPerSecond('0.5')).toBe(0.5);
    expect(() => parseMaxTracesPerSecond('-1')).toThrow(/TRIBUTARY_TRACE_MAX_PER_SECOND/);
    expect(() => parseMaxTracesPerSecond('lots')).toThrow(/TRIBUTARY_TRACE_MAX_PER_SECOND/);
  });
});
