import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connectRedis, createPublisher, groupsOf, type RedisClient } from 'tributary';
import { startRedisServer } from 'tributary/testing';
import { PackageCreated } from '@tributary/contracts';
import { printTable } from './table.ts';
import { benchSweeps } from './sweeps.ts';

/**
 * "Idle costs nothing" (issue 18): 10,000 deliveries wait for a fleet of ten
 * while nothing else happens. The delivery service and the drone simulator
 * run as their own processes, as `npm start` runs them (tracing on), on
 * private redis-servers. Over the idle period we read the delivery
 * process's CPU time and RSS from /proc, its heap and the watchdog's run
 * times from its /metrics. Then the other periodic jobs, in this process,
 * with 100 and with 100,000 stored items (`sweeps.ts`).
 *
 * BENCH_IDLE_SECONDS (default 120) sets the idle period; BENCH_WAITING
 * (10,000) the backlog; BENCH_SILENCE_MS (60,000) the silence timeout, which
 * is also when the watchdog first runs after start.
 */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 120);
const WAITING = Number(process.env.BENCH_WAITING ?? 10_000);
const SILENCE_MS = Number(process.env.BENCH_SILENCE_MS ?? 60_000);
const FLEET = 10;
const ROOT = join(import.meta.dirname, '..', '..');
const CLOCK_TICKS_PER_SECOND = 100;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function startService(name: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', TRIBUTARY_INSTANCE: `${name}-bench`, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((candidate) => candidate.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1_024;
}

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The value of the first sample of `name` whose labels contain every one of `labels`. */
function sample(text: string, name: string, labels: string[] = []): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(name) && /[{ ]/.test(candidate[name.length] ?? '') && labels.every((label) => candidate.includes(label)));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

const WATCHDOG = 'job="delivery-watchdog"';

/** The watchdog's runs from its histogram: count, summed seconds, and the cumulative count per bucket bound. */
function watchdogRuns(text: string): { count: number; sum: number; buckets: Map<string, number> } {
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('tributary_periodic_run_seconds_bucket') || !line.includes(WATCHDOG)) continue;
    const bound = /le="([^"]+)"/.exec(line)?.[1];
    if (bound !== undefined) buckets.set(bound, Number(line.split(' ').pop()));
  }
  return { count: sample(text, 'tributary_periodic_run_seconds_count', [WATCHDOG]), sum: sample(text, 'tributary_periodic_run_seconds_sum', [WATCHDOG]), buckets };
}

/** The smallest bucket bound (ms) holding every run between two readings of the histogram. */
function slowestBoundMs(before: ReturnType<typeof watchdogRuns>, after: ReturnType<typeof watchdogRuns>): number {
  const runs = after.count - before.count;
  for (const [bound, count] of after.buckets) {
    if (count - (before.buckets.get(bound) ?? 0) >= runs) return Number(bound) * 1_000;
  }
  return Number.POSITIVE_INFINITY;
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`backlog bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function createBacklog(bus: RedisClient): Promise<void> {
  const packages = createPublisher({ redis: bus, service: 'package' });
  for (let i = 0; i < WAITING; i += 500) {
    const envelopes = Array.from({ length: Math.min(500, WAITING - i) }, (_, index) => packages.envelope(PackageCreated, {
      packageId: randomUUID(), orderId: randomUUID(), userId: randomUUID(), size: 'SMALL', weightGrams: 900, tags: ['bench'],
      items: [{ productId: randomUUID(), quantity: 1 }], pickup: { lat: 51.5072, lon: -0.1276 }, dropoff: { lat: 51.52 + (i + index) * 1e-6, lon: -0.1 },
    }));
    await packages.publishEnvelopes(envelopes);
  }
}

interface Idle {
  lagP99Ms: number;
  cpuPct: number;
  maxHeap: number;
  maxRss: number;
  runs: number;
  meanMs: number;
  maxBoundMs: number;
}

/** CPU, heap and RSS of the process, and its watchdog's runs, over IDLE_SECONDS. */
async function measureIdle(pid: number, port: number): Promise<Idle> {
  const before = { cpu: cpuSeconds(pid), at: performance.now(), runs: watchdogRuns(await metrics(port)) };
  let maxHeap = 0;
  let maxRss = 0;
  let lagP99Ms = 0;
  const endAt = Date.now() + IDLE_SECONDS * 1_000;
  while (Date.now() < endAt) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, Math.max(0, endAt - Date.now()))));
    // Sampled from outside every 5 s: the scrape is part of what is measured, as it is in production.
    const text = await metrics(port);
    maxHeap = Math.max(maxHeap, sample(text, 'nodejs_heap_size_used_bytes'));
    lagP99Ms = Math.max(lagP99Ms, sample(text, 'nodejs_eventloop_lag_p99_seconds') * 1_000);
    maxRss = Math.max(maxRss, rssBytes(pid));
  }
  const after = { cpu: cpuSeconds(pid), at: performance.now(), runs: watchdogRuns(await metrics(port)) };
  const runs = after.runs.count - before.runs.count;
  return {
    lagP99Ms,
    cpuPct: ((after.cpu - before.cpu) / ((after.at - before.at) / 1_000)) * 100,
    maxHeap,
    maxRss,
    runs,
    meanMs: runs > 0 ? ((after.runs.sum - before.runs.sum) / runs) * 1_000 : Number.NaN,
    maxBoundMs: slowestBoundMs(before.runs, after.runs),
  };
}

async function benchIdleDelivery(): Promise<void> {
  const [busServer, storeServer] = await Promise.all([startRedisServer(), startRedisServer()]);
  const bus = await connectRedis(busServer.url);
  const port = await freePort();
  const common = { BUS_REDIS_URL: busServer.url, STORE_REDIS_URL: storeServer.url };
  const delivery = startService('delivery', { ...common, DELIVERY_PORT: String(port), DELIVERY_SILENCE_TIMEOUT_MS: String(SILENCE_MS) });
  const simulator = startService('drone-sim', { ...common, DRONE_SIM_PORT: String(await freePort()), DRONE_FLEET_SIZE: String(FLEET), DRONE_FAILURE_RATE: '0' });
  try {
    const pid = delivery.pid as number;
    await until('the delivery service', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 60_000);
    await createBacklog(bus);
    await until('every delivery created', async () => {
      const group = (await groupsOf(bus, PackageCreated.stream)).find((info) => info.name === 'delivery');
      return group !== undefined && group.lag === 0 && group.pending === 0;
    }, 300_000);
    // The watchdog first runs one silence timeout after start; the idle period starts after that run.
    await until('the first watchdog run', async () => watchdogRuns(await metrics(port)).count >= 1, SILENCE_MS + 120_000);
    const queue = (await (await fetch(`http://127.0.0.1:${port}/deliveries/queue`)).json()) as { waiting: number };

    const flying = await measureIdle(pid, port);
    // Then the same backlog with the simulator gone: no telemetry at all, only the periodic jobs and the scrapes.
    simulator.kill('SIGTERM');
    await new Promise((resolve) => simulator.once('exit', resolve));
    const still = await measureIdle(pid, port);
    const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
    const row = (label: string, pick: (m: Idle) => string, target: string) => [label, pick(flying), pick(still), target];
    printTable(
      `Delivery process: ${queue.waiting} deliveries waiting (of ${WAITING} created) for a fleet of ${FLEET}, ${IDLE_SECONDS} s per column; load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} on ${cpus().length} cores`,
      ['measure', 'fleet of 10 flying (~20 readings/s)', 'simulator stopped (no telemetry)', 'target'],
      [
        row('CPU share of one core', (m) => `${m.cpuPct.toFixed(2)} %`, '< 2 %'),
        row('heap used (max of 5 s samples)', (m) => mb(m.maxHeap), '< 200 MB'),
        row('RSS (max of 5 s samples)', (m) => mb(m.maxRss), '—'),
        row('event loop lag p99 (max of 5 s samples)', (m) => `${m.lagP99Ms.toFixed(1)} ms`, '—'),
        row('watchdog runs', (m) => String(m.runs), 'every 5 s'),
        row('watchdog run, mean', (m) => `${m.meanMs.toFixed(2)} ms`, '< 50 ms'),
        row('watchdog run, slowest (histogram bucket)', (m) => `<= ${m.maxBoundMs} ms`, '< 50 ms'),
      ],
    );
  } finally {
    delivery.kill('SIGTERM');
    simulator.kill('SIGTERM');
    await bus.close();
    await Promise.all([busServer.stop(), storeServer.stop()]);
  }
}

export async function benchBacklog(): Promise<void> {
  await benchIdleDelivery();
  await benchSweeps();
}
