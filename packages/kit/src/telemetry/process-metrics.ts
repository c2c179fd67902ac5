import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { collectDefaultMetrics, Counter, type Registry } from 'prom-client';

export const THREAD_CPU_METRIC = 'tributary_thread_cpu_seconds_total';

/** Nanoseconds this thread has run on a CPU (Linux: the first field of /proc/thread-self/schedstat); null elsewhere. */
function threadCpuNanoseconds(): number | null {
  try {
    const ran = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ran) ? ran : null;
  } catch {
    return null;
  }
}

/**
 * A service running as a thread of the launcher's service host shares its
 * process: prom-client's process_cpu_seconds_total (and the RSS) are the whole
 * host's. This counter is the service's own JavaScript thread, which is what
 * `tributary load` reports per service; the background threads (GC, the libuv
 * pool) stay on the host's process figures. Registered in threads only.
 */
function registerThreadCpu(registry: Registry): void {
  if (isMainThread || threadCpuNanoseconds() === null) return;
  new Counter({
    name: THREAD_CPU_METRIC,
    help: "CPU time of this service's own thread, when it runs as a thread of the service host (process_cpu_seconds_total is then the whole host's)",
    registers: [registry],
    collect() {
      const ran = threadCpuNanoseconds();
      if (ran === null) return;
      this.reset();
      this.inc(ran / 1e9);
    },
  });
}

/**
 * prom-client's default metrics samples the event loop's delay with a timer
 * every 10 ms: 100 wake-ups a second, about 5 ms of CPU per second in every
 * service with nothing to do (fifteen event loops: 7% of a core). Every
 * 100 ms still catches a stall of the loop, which is what the gauge is for.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The process metrics of every service's /metrics: prom-client's defaults, and the service's own thread's CPU when it runs as a thread. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  registerThreadCpu(registry);
}
