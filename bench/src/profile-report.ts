import { parseArgs } from 'node:util';
import { summarizeProfileDir, type ProfileSummary } from './profiles.ts';
import { printTable } from './table.ts';

/**
 * `node --import tsx bench/src/profile-report.ts <dir> [--load summary.json] [--cpu summary.json] [--orders N] [--top 5]`:
 * what the `.cpuprofile` files of a system run under TRIBUTARY_CPU_PROF_DIR
 * say, per service. With --load (the `tributary load --json` output of the
 * run) only the samples inside the load's window count and CPU is divided
 * by its final orders; --orders divides whole-life figures instead.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { load: { type: 'string' }, cpu: { type: 'string' }, orders: { type: 'string' }, top: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: profile-report.ts <profile dir> [--load <tributary load --json output>] [--cpu <another run\'s output>] [--orders N] [--top N] [--json]');
  process.exit(2);
}
const { readFileSync } = await import('node:fs');
interface LoadJson {
  terminal: number;
  window: { startMonotonicUs: number; endMonotonicUs: number };
  processes?: Array<{ service: string; cpuMsPerOrder: number | null }>;
}
const load = values.load ? (JSON.parse(readFileSync(values.load, 'utf8')) as LoadJson) : null;
/**
 * The process's own CPU time per order (process_cpu_seconds_total): sampled
 * "busy" time also counts waiting for a core. --cpu takes it from another
 * run's summary (one without the profiler, whose sampling costs CPU itself).
 */
const cpuSource = values.cpu ? (JSON.parse(readFileSync(values.cpu, 'utf8')) as LoadJson) : load;
const processCpu = new Map((cpuSource?.processes ?? []).map((p) => [p.service, p.cpuMsPerOrder]));
const orders = load?.terminal ?? (values.orders ? Number(values.orders) : null);
const top = Number(values.top);
const summaries = summarizeProfileDir(dir, load ? { since: load.window.startMonotonicUs, until: load.window.endMonotonicUs } : {});
if (values.json) {
  console.log(JSON.stringify({ orders, services: summaries.map((s) => ({ ...s, functions: s.functions.slice(0, 50) })) }));
  process.exit(0);
}
const perOrder = (ms: number) => (orders ? (ms / orders).toFixed(2) : '-');
const percent = (part: number, whole: ProfileSummary) => `${whole.busyMs ? Math.round((part / whole.busyMs) * 100) : 0}%`;
const total = summaries.reduce((sum, s) => sum + s.busyMs, 0);
const cpu = (service: string) => processCpu.get(service)?.toFixed(1) ?? '-';
const processTotal = [...processCpu.values()].reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
printTable(
  `CPU per service${load ? ' inside the load window' : ''}${orders ? `, ${orders} orders` : ''} (samples: idle excluded; shares of the busy samples)`,
  ['service', 'process CPU ms/order', 'sampled busy ms/order', `top ${top} categories (self time)`],
  [
    ...summaries.map((s) => [s.service, cpu(s.service), perOrder(s.busyMs), s.categories.slice(0, top).map((c) => `${c.name} ${percent(c.ms, s)}`).join(', ')]),
    ['all', processCpu.size ? processTotal.toFixed(1) : '-', perOrder(total), ''],
  ],
);
if (processCpu.size) {
  // Each service's shares applied to its own CPU per order, summed: where an order's CPU goes in the whole system.
  const byCategory = new Map<string, number>();
  for (const s of summaries) {
    const ms = processCpu.get(s.service);
    if (!ms || !s.busyMs) continue;
    for (const c of s.categories) byCategory.set(c.name, (byCategory.get(c.name) ?? 0) + (c.ms / s.busyMs) * ms);
  }
  printTable(
    'All services by category: each service\'s share applied to its process CPU per order',
    ['category', '≈ CPU ms/order', 'share'],
    [...byCategory]
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => [name, ms.toFixed(1), `${Math.round((ms / processTotal) * 100)}%`]),
  );
}
for (const s of summaries) {
  // GC, (program) and native bindings are in the categories above; these are the JavaScript functions.
  printTable(
    `${s.service}: top ${top} JavaScript functions by self time`,
    ['function', 'where', 'category', 'ms', 'share'],
    s.functions
      .filter((f) => f.where !== '')
      .slice(0, top)
      .map((f) => [f.name, f.where, f.category, f.ms.toFixed(0), percent(f.ms, s)]),
  );
}
