import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { periodicJob } from './periodic.ts';
import { initTracing, SpanKind, withSpan } from './tracing.ts';

// Tracing is process-wide; Vitest gives each test file its own worker.
const tracing = initTracing({ service: 'periodic-test', sampleRatio: 1, maxTracesPerSecond: 0 });

describe('periodicJob', () => {
  it('one span per run and none below it; run time, items and failures in the registry', async () => {
    const registry = new Registry();
    const meter = periodicJob('sweep-test', { registry });
    const result = await meter.run(async (run) => {
      for (let i = 0; i < 5; i++) await withSpan(`EVALSHA item${i}`, { kind: SpanKind.CLIENT }, async () => i);
      run.items(5);
      run.note('due', 7);
      return 'done';
    });
    expect(result).toBe('done');
    await expect(meter.run(async () => { throw new Error('redis down'); })).rejects.toThrow('redis down');

    const spans = tracing.ring.recent(100);
    expect(spans.filter((span) => span.name.startsWith('EVALSHA item'))).toEqual([]);
    const runs = spans.filter((span) => span.name === 'periodic sweep-test');
    expect(runs).toHaveLength(2);
    expect(runs.map((span) => span.attributes['periodic.due'])).toContain(7);

    const text = await registry.metrics();
    expect(text).toContain('tributary_periodic_run_seconds_count{job="sweep-test"} 2');
    expect(text).toContain('tributary_periodic_items_total{job="sweep-test"} 5');
    expect(text).toContain('tributary_periodic_failures_total{job="sweep-test"} 1');
    // A second meter on the same registry shares the families.
    await periodicJob('other', { registry }).run(async (run) => run.items(1));
    expect(await registry.metrics()).toContain('tributary_periodic_items_total{job="other"} 1');
  });
});
