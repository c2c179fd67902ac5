import { Counter, Gauge, type Registry } from 'prom-client';
import type { TSchema } from '@sinclair/typebox';
import type { Queue } from './queue.ts';
import type { WorkerReport } from './worker.ts';

function counter(registry: Registry, name: string, help: string): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames: ['queue'], registers: [registry] });
}

/**
 * Queue depth gauges, read from Redis only when Prometheus scrapes (a few
 * LLEN/ZCARD calls), and a report sink for a worker's outcomes.
 */
// One depth gauge per registry covers every queue registered on it.
const queuesByRegistry = new WeakMap<Registry, Map<string, Queue<TSchema>>>();

export function queueMetrics<S extends TSchema>(registry: Registry, queue: Queue<S>): (report: WorkerReport) => void {
  let queues = queuesByRegistry.get(registry);
  if (!queues) {
    const tracked = new Map<string, Queue<TSchema>>();
    queues = tracked;
    queuesByRegistry.set(registry, tracked);
    new Gauge({
      name: 'tributary_queue_items',
      help: 'Items in a list queue by state (pending, processing, delayed, dead)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const each of tracked.values()) {
          const counts = await each.counts();
          for (const state of ['pending', 'processing', 'delayed', 'dead'] as const) this.set({ queue: each.name, state }, counts[state]);
        }
      },
    });
  }
  queues.set(queue.name, queue as unknown as Queue<TSchema>);
  const completed = counter(registry, 'tributary_queue_completed_total', 'Queue items processed successfully');
  const retried = counter(registry, 'tributary_queue_retries_total', 'Queue item failures that will be retried');
  const buried = counter(registry, 'tributary_queue_dead_total', 'Queue items moved to the dead list');
  const recovered = counter(registry, 'tributary_queue_recovered_total', 'Items given back to pending from dead workers');
  const labels = { queue: queue.name };
  return (report) => {
    if (report.kind === 'completed') completed.inc(labels);
    else if (report.kind === 'retry') retried.inc(labels);
    else if (report.kind === 'dead') buried.inc(labels);
    else if (report.kind === 'recovered') recovered.inc(labels, report.count);
  };
}
