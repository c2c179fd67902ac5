import { pathToFileURL } from 'node:url';
import type { BuiltServices } from './build.ts';

/**
 * Node's flags for every service process and the service host (docs/benchmarks.md, Memory).
 * - Stack traces name the TypeScript sources (stack-traces.ts), without
 *   Node's `--enable-source-maps` and what it keeps per module.
 * - V8's young generation may grow to 3 × 16 MB per process under load and
 *   stays that size; 2 MB semi-spaces keep fifteen processes' worth of it
 *   small. Our handlers' garbage dies young (one batch, one request), so
 *   more frequent scavenges cost little; the gateway's are 16 MB (below).
 * - WebAssembly (PGlite's Postgres) is compiled function by function when
 *   first called, not all of Postgres at start: most of it never runs here.
 * - V8 lets an old generation grow up to 4× its live size before the next
 *   full collection. Thirteen isolates share the service host, each with
 *   20–40 MB live, so that headroom was 130–200 MB of the host's RSS at half
 *   the saturation rate (ordering alone up to 130 MB of heap). A fixed factor
 *   of 1.5 keeps it at half the live size. At saturation it costs a few per
 *   cent of CPU per order, within the machine's noise but seen in most
 *   alternated runs; 1.2 cost about 5% of throughput (docs/benchmarks.md, Memory).
 */
export function serviceNodeOptions(built: BuiltServices, service?: string): string[] {
  return [
    '--import',
    pathToFileURL(built.stackTraces).href,
    `--max-semi-space-size=${semiSpaceMb(service)}`,
    '--wasm-lazy-compilation',
    `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
  ];
}

const HEAP_GROWING_PERCENT = 50;

/**
 * The gateway is the exception: every request of the system passes through
 * it (two HTTP hops per order, each a parse, a proxy call and an answer), and
 * with 2 MB semi-spaces a sixth of its CPU under load was scavenges. 16 MB
 * cost it about 20 MB of RSS and a quarter of its CPU per order
 * (docs/benchmarks.md, tenth run).
 */
function semiSpaceMb(service: string | undefined): number {
  return service === 'gateway' ? 16 : 2;
}

/**
 * glibc malloc settings for every service process, unless the operator set
 * them (docs/benchmarks.md, Memory). V8 compiles on background threads
 * (PGlite's WebAssembly, TurboFan) and glibc gives each thread its own
 * arena, then keeps what was freed in them: a SQL service held 120–190 MB of
 * freed native memory. One arena, and large blocks given back at free, cut
 * the whole session by about 700 MB with no change in throughput.
 */
export const SERVICE_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '32768',
  MALLOC_TRIM_THRESHOLD_: '65536',
};

export function serviceMallocEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVICE_MALLOC_ENV).filter(([name]) => env[name] === undefined));
}
