import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConsumerReport } from '../streams/consumer.ts';

/** Turns a consumer's reports into Prometheus metrics (handled, latency, retries, dead letters). */
export function consumerMetrics(registry: Registry, labels: { stream: string; group: string }) {
  const existing = registry.getSingleMetric('tributary_handler_duration_seconds') as Histogram<string> | undefined;
  const duration =
    existing ??
    new Histogram({
      name: 'tributary_handler_duration_seconds',
      help: 'Handler duration by stream, group and event type',
      labelNames: ['stream', 'group', 'type'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames: ['stream', 'group', 'type'], registers: [registry] });
  const retries = counter('tributary_handler_retries_total', 'Handler failures that will be retried');
  const deadLetters = counter('tributary_dead_letters_total', 'Entries moved to a dead-letter stream');
  return (report: ConsumerReport) => {
    if (report.kind === 'handled') duration.observe({ ...labels, type: report.type }, report.durationMs / 1000);
    else if (report.kind === 'retry') retries.inc({ ...labels, type: report.type });
    else if (report.kind === 'dead-lettered') deadLetters.inc({ ...labels, type: report.type });
  };
}
