import { readFile } from 'node:fs/promises';
import { callGateway } from '../gateway.ts';

/** The kit's counter of a service's own thread (tributary/telemetry, process-metrics.ts): present when the service runs as a thread of the service host. */
const THREAD_CPU_METRIC = 'tributary_thread_cpu_seconds_total';

/** The row of the process that runs several services as threads: its RSS and CPU are theirs together. */
export const SERVICE_HOST = 'service-host';

/**
 * One look at every service: resident memory and CPU time so far (null when
 * it could not be read). `threadCpuSeconds` is set for a service that runs as
 * a thread of the service host; its RSS and CPU are then the host's.
 */
export interface ProcessSample {
  /** performance.now() of the look. */
  at: number;
  services: Record<string, { rssBytes: number | null; cpuSeconds: number | null; threadCpuSeconds?: number }>;
}

/** `name{…service="x"…} value` lines of one metric family, by service. */
function samplesOf(exposition: string, metric: string): Map<string, number> {
  const found = new Map<string, number>();
  const line = new RegExp(`^${metric}\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const match of exposition.matchAll(line)) {
    const service = /(?:^|,)\s*service="([^"]+)"/.exec(match[1] as string)?.[1];
    const value = Number(match[2]);
    if (service && Number.isFinite(value)) found.set(service, value);
  }
  return found;
}

async function procRss(pid: number): Promise<number | null> {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/**
 * Every service's RSS and CPU time, from the gateway's merged /metrics
 * (prom-client's process_resident_memory_bytes and process_cpu_seconds_total,
 * one series per `service`). A service missing there (it did not answer the
 * scrape) is looked up in /api/system/services: its `rssBytes` when its
 * /healthz gives one, else /proc/<pid>/status when it runs on this machine.
 * Never fails the run: what cannot be read is null.
 */
export async function sampleProcesses(base: string, apiKey: string | null): Promise<ProcessSample> {
  const at = performance.now();
  const services: ProcessSample['services'] = {};
  try {
    const metrics = await callGateway<string>(base, 'GET', '/metrics', { timeoutMs: 10_000 });
    if (metrics.status === 200 && typeof metrics.body === 'string') {
      const rss = samplesOf(metrics.body, 'process_resident_memory_bytes');
      const cpu = samplesOf(metrics.body, 'process_cpu_seconds_total');
      const threadCpu = samplesOf(metrics.body, THREAD_CPU_METRIC);
      for (const service of new Set([...rss.keys(), ...cpu.keys()])) {
        const thread = threadCpu.get(service);
        services[service] = { rssBytes: rss.get(service) ?? null, cpuSeconds: cpu.get(service) ?? null, ...(thread === undefined ? {} : { threadCpuSeconds: thread }) };
      }
    }
  } catch {
    // No /metrics: the list below may still say something.
  }
  try {
    const list = await callGateway<{ services?: Array<{ name?: unknown; pid?: unknown; rssBytes?: unknown }> }>(base, 'GET', '/api/system/services', { apiKey, timeoutMs: 10_000 });
    for (const entry of list.status === 200 ? (list.body.services ?? []) : []) {
      if (typeof entry.name !== 'string' || services[entry.name]?.rssBytes != null) continue;
      const rssBytes = typeof entry.rssBytes === 'number' ? entry.rssBytes : typeof entry.pid === 'number' ? await procRss(entry.pid) : null;
      services[entry.name] = { rssBytes, cpuSeconds: services[entry.name]?.cpuSeconds ?? null };
    }
  } catch {
    // The gateway itself is gone: what /metrics gave is all there is.
  }
  return { at, services };
}

export interface ProcessReport {
  service: string;
  /**
   * `thread`: a service running as a thread of the service host, with its own
   * thread's CPU and no RSS of its own (the `service-host` row has the
   * process's). Totals add up the `process` rows only.
   */
  kind: 'process' | 'thread';
  rssStartBytes: number | null;
  rssEndBytes: number | null;
  rssMaxBytes: number | null;
  cpuSeconds: number | null;
  cpuMsPerOrder: number | null;
}

/** Per service: RSS at the first and last sample and the largest seen; CPU spent between them, per final order. */
export function processReport(unordered: readonly ProcessSample[], finalOrders: number): ProcessReport[] {
  // A periodic sample may come back after the final one was taken.
  const samples = [...unordered].sort((a, b) => a.at - b.at);
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return [];
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample.services)))].sort();
  const threaded = names.filter((service) => samples.some((sample) => sample.services[service]?.threadCpuSeconds !== undefined));
  const perOrder = (cpuSeconds: number | null) => (cpuSeconds !== null && finalOrders > 0 ? Math.round(((cpuSeconds * 1000) / finalOrders) * 100) / 100 : null);
  const row = (service: string, kind: ProcessReport['kind'], of: (sample: ProcessSample) => { rssBytes: number | null; cpuSeconds: number | null } | undefined): ProcessReport => {
    const rss = samples.map((sample) => of(sample)?.rssBytes).filter((value): value is number => typeof value === 'number');
    const cpuStart = of(first)?.cpuSeconds;
    const cpuEnd = of(last)?.cpuSeconds;
    // A restarted process starts its counter again: no figure rather than a wrong one.
    const cpuSeconds = typeof cpuStart === 'number' && typeof cpuEnd === 'number' && cpuEnd >= cpuStart ? Math.round((cpuEnd - cpuStart) * 1000) / 1000 : null;
    return {
      service,
      kind,
      rssStartBytes: of(first)?.rssBytes ?? null,
      rssEndBytes: of(last)?.rssBytes ?? null,
      rssMaxBytes: rss.length ? Math.max(...rss) : null,
      cpuSeconds,
      cpuMsPerOrder: perOrder(cpuSeconds),
    };
  };
  const rows = names.map((service) =>
    threaded.includes(service)
      ? row(service, 'thread', (sample) => {
          const seen = sample.services[service];
          return seen && { rssBytes: null, cpuSeconds: seen.threadCpuSeconds ?? null };
        })
      : row(service, 'process', (sample) => sample.services[service]),
  );
  // The host's own figures, as every threaded service reports them: from the first that answered.
  if (threaded.length > 0) rows.push(row(SERVICE_HOST, 'process', (sample) => threaded.map((service) => sample.services[service]).find((seen) => seen?.threadCpuSeconds !== undefined)));
  return rows;
}
