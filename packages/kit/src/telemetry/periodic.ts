import { context, trace, type Attributes } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { Counter, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { SpanKind, withSpan } from './tracing.ts';

/** What one run of a periodic job tells its meter. */
export interface PeriodicRunRecorder {
  /** Adds to the items this run handled (`tributary_periodic_items_total{job}`). */
  items(count: number): void;
  /** An attribute of the run's span (due, failed, …): the run's detail lives here, not in child spans. */
  note(name: string, value: string | number | boolean): void;
}

export interface PeriodicJobMeter {
  readonly job: string;
  /**
   * Runs one round: one span `periodic <job>`, and no span below it (the
   * round's Redis and SQL calls would be one span each, per item: what made
   * an idle watchdog allocate thousands of spans a run). Its run time goes
   * to `tributary_periodic_run_seconds{job}`, the items it reported to
   * `tributary_periodic_items_total{job}`, a throw to
   * `tributary_periodic_failures_total{job}` (and is rethrown).
   */
  run<T>(round: (run: PeriodicRunRecorder) => Promise<T>): Promise<T>;
  /**
   * The same metrics without the span and without suppressing the spans
   * below: for a round whose items are traced on their own (a consumer's
   * claimed entries each continue their publisher's trace).
   */
  measure<T>(round: (run: PeriodicRunRecorder) => Promise<T>): Promise<T>;
}

const RUN_SECONDS = 'tributary_periodic_run_seconds';
const ITEMS_TOTAL = 'tributary_periodic_items_total';
const FAILURES_TOTAL = 'tributary_periodic_failures_total';

function metricsOf(registry: Registry) {
  const histogram =
    (registry.getSingleMetric(RUN_SECONDS) as Histogram<'job'> | undefined) ??
    new Histogram({
      name: RUN_SECONDS,
      help: 'Run time of one round of a periodic job (sweeps, watchdogs, relays); should follow what was due, not what is stored',
      labelNames: ['job'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    });
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'job'> | undefined) ?? new Counter({ name, help, labelNames: ['job'], registers: [registry] });
  return {
    histogram,
    items: counter(ITEMS_TOTAL, 'Items a periodic job handled (judged, re-published, moved, written)'),
    failures: counter(FAILURES_TOTAL, 'Rounds of a periodic job that threw'),
  };
}

/**
 * The meter of one periodic job. `registry` is the service's (its
 * `/metrics`); without one, prom-client's global registry. Several meters
 * may share a registry: the metric families are created once.
 *
 * ```ts
 * const meter = periodicJob('delivery-watchdog', { registry: app.metricsRegistry });
 * const failed = await meter.run(async (run) => {
 *   const due = await takeDue();
 *   run.items(due.length);
 *   run.note('due', due.length);
 *   return judge(due);
 * });
 * ```
 */
export function periodicJob(job: string, options: { registry?: Registry } = {}): PeriodicJobMeter {
  const metrics = metricsOf(options.registry ?? globalRegistry);
  const labels = { job };
  /** Times a round and counts what it reported; a throw counts as a failure and goes on. */
  async function metered<T>(round: (items: (count: number) => void) => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let items = 0;
    try {
      return await round((count) => {
        if (count > 0) items += count;
      });
    } catch (error) {
      metrics.failures.inc(labels);
      throw error;
    } finally {
      metrics.histogram.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      if (items > 0) metrics.items.inc(labels, items);
    }
  }

  return {
    job,
    run(round) {
      return metered((addItems) => {
        const attributes: Attributes = {};
        let items = 0;
        const recorder: PeriodicRunRecorder = {
          items(count) {
            if (count > 0) items += count;
            addItems(count);
          },
          note(name, value) {
            attributes[`periodic.${name}`] = value;
          },
        };
        return withSpan(`periodic ${job}`, { kind: SpanKind.INTERNAL, attributes: { 'periodic.job': job } }, async (span) => {
          try {
            // Suppressed below the run's span: calls made inside start no span of their own, while
            // events published inside still carry this span's trace.
            return await context.with(suppressTracing(trace.setSpan(context.active(), span)), () => round(recorder));
          } finally {
            span.setAttributes({ ...attributes, 'periodic.items': items });
          }
        });
      });
    },
    measure(round) {
      // No span to note on: measure() is for rounds traced item by item.
      return metered((addItems) => round({ items: addItems, note: () => undefined }));
    },
  };
}
