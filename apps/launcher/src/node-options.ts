import { pathToFileURL } from 'node:url';
import type { BuiltServices } from './build.ts';
import type { ServiceName } from './services.ts';

/**
 * Node's flags for every service process (docs/benchmarks.md, Memory).
 * - Stack traces name the TypeScript sources (stack-traces.ts), without
 *   Node's `--enable-source-maps` and what it keeps per module.
 * - V8's young generation may grow to 3 × 16 MB per process under load and
 *   stays that size; 2 MB semi-spaces keep fifteen processes' worth of it
 *   small. Our handlers' garbage dies young (one batch, one request), so
 *   more frequent scavenges cost little.
 * - WebAssembly (PGlite's Postgres) is compiled function by function when
 *   first called, not all of Postgres at start: most of it never runs here.
 */
export function serviceNodeOptions(_name: ServiceName, built: BuiltServices): string[] {
  return ['--import', pathToFileURL(built.stackTraces).href, '--max-semi-space-size=2', '--wasm-lazy-compilation'];
}
