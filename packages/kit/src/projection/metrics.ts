import { Counter, Gauge, type Registry } from 'prom-client';
import { compareIds } from '../streams/commands.ts';
import type { Projection, ProjectionReport } from './projection.ts';

interface Tracked {
  name: string;
  streams: readonly string[];
  tips(): Promise<Record<string, string>>;
  checkpoints(): Promise<Record<string, string>>;
}

// One lag gauge per registry covers every projection registered on it.
const projectionsByRegistry = new WeakMap<Registry, Map<string, Tracked>>();

const idMs = (id: string): number => Number(id.split('-')[0]) || 0;

function counter(registry: Registry, name: string, help: string): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames: ['projection', 'stream'], registers: [registry] });
}

/**
 * Lag in seconds (time between a stream's last entry and the entry the
 * projection has applied: stream ids are timestamps, so this costs one
 * XREVRANGE and one MGET per scrape) and counters from the reports.
 */
export function projectionMetrics<Tx>(registry: Registry, projection: Projection<Tx>): (report: ProjectionReport) => void {
  let tracked = projectionsByRegistry.get(registry);
  if (!tracked) {
    const all = new Map<string, Tracked>();
    tracked = all;
    projectionsByRegistry.set(registry, all);
    new Gauge({
      name: 'tributary_projection_lag_seconds',
      help: 'Age of the newest source entry a projection has not applied yet (0 when caught up)',
      labelNames: ['projection', 'stream'],
      registers: [registry],
      async collect() {
        for (const each of all.values()) {
          const [tips, checkpoints] = await Promise.all([each.tips(), each.checkpoints()]);
          for (const stream of each.streams) {
            const tip = tips[stream] ?? '0';
            const at = checkpoints[stream] ?? '0';
            this.set({ projection: each.name, stream }, compareIds(at, tip) >= 0 ? 0 : Math.max(0, idMs(tip) - idMs(at)) / 1000);
          }
        }
      },
    });
  }
  tracked.set(projection.name, projection);
  const applied = counter(registry, 'tributary_projection_entries_total', 'Source entries a projection committed (applied or passed over)');
  const conflicts = counter(registry, 'tributary_projection_conflicts_total', 'Batches refused because another instance moved the checkpoint');
  const retries = counter(registry, 'tributary_projection_retries_total', 'Applies that failed and will be retried');
  const dead = counter(registry, 'tributary_projection_dead_letters_total', 'Entries a projection skipped and dead-lettered');
  return (report) => {
    if (report.kind === 'applied') applied.inc({ projection: projection.name, stream: report.stream }, report.entries);
    else if (report.kind === 'conflict') conflicts.inc({ projection: projection.name, stream: report.stream });
    else if (report.kind === 'retry') retries.inc({ projection: projection.name, stream: report.stream });
    else if (report.kind === 'dead-lettered') dead.inc({ projection: projection.name, stream: report.stream });
  };
}
